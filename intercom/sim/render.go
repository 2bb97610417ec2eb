package sim

import (
	"encoding/json"
	"maps"
)

// The views below are the JSON shapes of Intercom's contact and company
// objects. Fields that the OpenAPI file declares nullable are pointers and
// sent as null when unset; the others are always sent.

type addressableList struct {
	Type       string            `json:"type"`
	Data       []addressableItem `json:"data"`
	URL        string            `json:"url"`
	TotalCount int               `json:"total_count"`
	HasMore    bool              `json:"has_more"`
}

type addressableItem struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	URL  string `json:"url"`
}

type avatarView struct {
	Type     string  `json:"type"`
	ImageURL *string `json:"image_url"`
}

type locationView struct {
	Type          string  `json:"type"`
	Country       *string `json:"country"`
	Region        *string `json:"region"`
	City          *string `json:"city"`
	CountryCode   *string `json:"country_code"`
	ContinentCode *string `json:"continent_code"`
}

type socialProfiles struct {
	Type string `json:"type"`
	Data []any  `json:"data"`
}

type contactView struct {
	Type                      string                     `json:"type"`
	ID                        string                     `json:"id"`
	WorkspaceID               string                     `json:"workspace_id"`
	ExternalID                *string                    `json:"external_id"`
	Role                      string                     `json:"role"`
	Email                     string                     `json:"email"`
	EmailDomain               string                     `json:"email_domain"`
	Phone                     *string                    `json:"phone"`
	Name                      *string                    `json:"name"`
	Avatar                    *avatarView                `json:"avatar"`
	OwnerID                   *int64                     `json:"owner_id"`
	SocialProfiles            socialProfiles             `json:"social_profiles"`
	HasHardBounced            bool                       `json:"has_hard_bounced"`
	MarkedEmailAsSpam         bool                       `json:"marked_email_as_spam"`
	UnsubscribedFromEmails    bool                       `json:"unsubscribed_from_emails"`
	CreatedAt                 int64                      `json:"created_at"`
	UpdatedAt                 int64                      `json:"updated_at"`
	SignedUpAt                *int64                     `json:"signed_up_at"`
	LastSeenAt                *int64                     `json:"last_seen_at"`
	LastRepliedAt             *int64                     `json:"last_replied_at"`
	LastContactedAt           *int64                     `json:"last_contacted_at"`
	LastEmailOpenedAt         *int64                     `json:"last_email_opened_at"`
	LastEmailClickedAt        *int64                     `json:"last_email_clicked_at"`
	LanguageOverride          *string                    `json:"language_override"`
	Browser                   *string                    `json:"browser"`
	BrowserVersion            *string                    `json:"browser_version"`
	BrowserLanguage           *string                    `json:"browser_language"`
	OS                        *string                    `json:"os"`
	Location                  locationView               `json:"location"`
	AndroidAppName            *string                    `json:"android_app_name"`
	AndroidAppVersion         *string                    `json:"android_app_version"`
	AndroidDevice             *string                    `json:"android_device"`
	AndroidOSVersion          *string                    `json:"android_os_version"`
	AndroidSDKVersion         *string                    `json:"android_sdk_version"`
	AndroidLastSeenAt         *int64                     `json:"android_last_seen_at"`
	IOSAppName                *string                    `json:"ios_app_name"`
	IOSAppVersion             *string                    `json:"ios_app_version"`
	IOSDevice                 *string                    `json:"ios_device"`
	IOSOSVersion              *string                    `json:"ios_os_version"`
	IOSSDKVersion             *string                    `json:"ios_sdk_version"`
	IOSLastSeenAt             *int64                     `json:"ios_last_seen_at"`
	CustomAttributes          map[string]json.RawMessage `json:"custom_attributes"`
	Tags                      addressableList            `json:"tags"`
	Notes                     addressableList            `json:"notes"`
	Companies                 addressableList            `json:"companies"`
	OptedOutSubscriptionTypes addressableList            `json:"opted_out_subscription_types"`
	OptedInSubscriptionTypes  addressableList            `json:"opted_in_subscription_types"`
	UTMCampaign               *string                    `json:"utm_campaign"`
	UTMContent                *string                    `json:"utm_content"`
	UTMMedium                 *string                    `json:"utm_medium"`
	UTMSource                 *string                    `json:"utm_source"`
	UTMTerm                   *string                    `json:"utm_term"`
	Referrer                  *string                    `json:"referrer"`
}

// maxListedCompanies is how many companies a contact object lists inline.
const maxListedCompanies = 10

func (s *Server) contactView(c *contact) contactView {
	v := contactView{
		Type: "contact", ID: c.id, WorkspaceID: s.opts.WorkspaceID,
		ExternalID: clonePtr(c.externalID), Role: c.role,
		Phone: clonePtr(c.phone), Name: clonePtr(c.name), OwnerID: clonePtr(c.ownerID),
		SocialProfiles:         socialProfiles{Type: "list", Data: []any{}},
		UnsubscribedFromEmails: c.unsubscribed,
		CreatedAt:              c.createdAt, UpdatedAt: c.updatedAt,
		SignedUpAt: clonePtr(c.signedUpAt), LastSeenAt: clonePtr(c.lastSeenAt),
		Location:                  locationView{Type: "location"},
		CustomAttributes:          maps.Clone(c.custom),
		Tags:                      addressable(c.tags, "tag", "/tags/", "/contacts/"+c.id+"/tags", len(c.tags)),
		Notes:                     addressable(nil, "note", "/notes/", "/contacts/"+c.id+"/notes", 0),
		Companies:                 addressable(c.companies, "company", "/companies/", "/contacts/"+c.id+"/companies", maxListedCompanies),
		OptedOutSubscriptionTypes: addressable(nil, "subscription", "/subscriptions/", "/contacts/"+c.id+"/subscriptions", 0),
		OptedInSubscriptionTypes:  addressable(nil, "subscription", "/subscriptions/", "/contacts/"+c.id+"/subscriptions", 0),
	}
	// NOTE: the contact schema types email as a non-nullable string, so a
	// contact without email is sent with "" rather than null.
	if c.email != nil {
		v.Email = *c.email
		v.EmailDomain = emailDomain(*c.email)
	}
	if v.CustomAttributes == nil {
		v.CustomAttributes = map[string]json.RawMessage{}
	}
	if c.avatar != nil {
		v.Avatar = &avatarView{Type: "avatar", ImageURL: clonePtr(c.avatar)}
	}
	return v
}

func addressable(ids []string, itemType, itemPrefix, url string, limit int) addressableList {
	list := addressableList{Type: "list", Data: []addressableItem{}, URL: url, TotalCount: len(ids)}
	for i, id := range ids {
		if i >= limit {
			list.HasMore = true
			break
		}
		list.Data = append(list.Data, addressableItem{Type: itemType, ID: id, URL: itemPrefix + id})
	}
	return list
}

func emailDomain(email string) string {
	for i := len(email) - 1; i >= 0; i-- {
		if email[i] == '@' {
			return email[i+1:]
		}
	}
	return ""
}

type planView struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type tagBasic struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

type tagList struct {
	Type string     `json:"type"`
	Tags []tagBasic `json:"tags"`
}

type segmentList struct {
	Type     string `json:"type"`
	Segments []any  `json:"segments"`
}

type companyView struct {
	Type             string                     `json:"type"`
	ID               string                     `json:"id"`
	CompanyID        string                     `json:"company_id"`
	AppID            string                     `json:"app_id"`
	Name             *string                    `json:"name,omitempty"`
	RemoteCreatedAt  *int64                     `json:"remote_created_at,omitempty"`
	CreatedAt        int64                      `json:"created_at"`
	UpdatedAt        int64                      `json:"updated_at"`
	MonthlySpend     int64                      `json:"monthly_spend"`
	SessionCount     int64                      `json:"session_count"`
	UserCount        int64                      `json:"user_count"`
	Size             *int64                     `json:"size,omitempty"`
	Website          *string                    `json:"website,omitempty"`
	Industry         *string                    `json:"industry,omitempty"`
	Tags             tagList                    `json:"tags"`
	Segments         segmentList                `json:"segments"`
	Plan             planView                   `json:"plan"`
	CustomAttributes map[string]json.RawMessage `json:"custom_attributes"`
}

func (s *Server) companyView(c *company) companyView {
	v := companyView{
		Type: "company", ID: c.id, CompanyID: c.companyID, AppID: s.opts.WorkspaceID,
		Name: clonePtr(c.name), RemoteCreatedAt: clonePtr(c.remoteCreatedAt),
		CreatedAt: c.createdAt, UpdatedAt: c.updatedAt, MonthlySpend: c.monthlySpend,
		UserCount: int64(len(c.contacts)), Size: clonePtr(c.size),
		Website: clonePtr(c.website), Industry: clonePtr(c.industry),
		Tags:             tagList{Type: "tag.list", Tags: []tagBasic{}},
		Segments:         segmentList{Type: "segment.list", Segments: []any{}},
		CustomAttributes: maps.Clone(c.custom),
	}
	if v.CustomAttributes == nil {
		v.CustomAttributes = map[string]json.RawMessage{}
	}
	if c.plan != nil {
		v.Plan = planView{Type: "plan", ID: c.plan.id, Name: c.plan.name}
	}
	for _, id := range c.tags {
		if t, ok := s.st.tags[id]; ok {
			v.Tags.Tags = append(v.Tags.Tags, tagBasic{Type: "tag", ID: t.id, Name: t.name})
		}
	}
	return v
}

type pagesView struct {
	Type       string    `json:"type"`
	Page       int       `json:"page"`
	PerPage    int       `json:"per_page"`
	TotalPages int       `json:"total_pages"`
	Next       *nextPage `json:"next,omitempty"`
}

type nextPage struct {
	Page          int    `json:"page,omitempty"`
	PerPage       int    `json:"per_page,omitempty"`
	StartingAfter string `json:"starting_after,omitempty"`
}

type listView[T any] struct {
	Type       string    `json:"type"`
	Data       []T       `json:"data"`
	TotalCount int       `json:"total_count"`
	Pages      pagesView `json:"pages"`
}
