package sim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// contact is a stored contact. Pointer fields are null when nil.
type contact struct {
	seq          int64
	id           string
	externalID   *string
	role         string
	email        *string
	phone        *string
	name         *string
	avatar       *string
	ownerID      *int64
	unsubscribed bool
	signedUpAt   *int64
	lastSeenAt   *int64
	createdAt    int64
	updatedAt    int64
	custom       map[string]json.RawMessage
	archived     bool
	searchableAt time.Time
	companies    []string
	tags         []string
}

// company is a stored company.
type company struct {
	seq             int64
	id              string
	companyID       string
	name            *string
	plan            *plan
	size            *int64
	website         *string
	industry        *string
	monthlySpend    int64
	remoteCreatedAt *int64
	createdAt       int64
	updatedAt       int64
	custom          map[string]json.RawMessage
	contacts        []string
	tags            []string
}

type plan struct {
	id   string
	name string
}

// event is a stored data event.
type event struct {
	name      string
	createdAt int64
	contactID string
	userID    string
	email     string
	byID      string
	metadata  []metadataEntry
}

type metadataEntry struct {
	key   string
	value json.RawMessage
}

type tag struct {
	id   string
	name string
}

// dataAttribute is a stored data attribute; standard attributes have
// custom false and id 0.
type dataAttribute struct {
	id                int64
	model             string
	name              string
	fullName          string
	label             string
	description       string
	dataType          string
	options           []string
	custom            bool
	archived          bool
	messengerWritable bool
	createdAt         int64
	updatedAt         int64
}

// store is the simulator's state. The Server's mutex guards it.
type store struct {
	contacts       map[string]*contact
	contactOrder   []*contact
	byExternalID   map[string]*contact
	byEmail        map[string][]*contact
	companies      map[string]*company
	companyOrder   []*company
	byCompanyID    map[string]*company
	events         []event
	eventStart     int
	eventKeys      map[string]struct{}
	eventsDropped  int64
	tags           map[string]*tag
	tagOrder       []*tag
	tagByName      map[string]*tag
	plans          map[string]*plan
	attributes     []*dataAttribute
	nextAttributes int64
	seq            int64
}

func newStore() *store {
	return &store{
		contacts:       map[string]*contact{},
		byExternalID:   map[string]*contact{},
		byEmail:        map[string][]*contact{},
		companies:      map[string]*company{},
		byCompanyID:    map[string]*company{},
		eventKeys:      map[string]struct{}{},
		tags:           map[string]*tag{},
		tagByName:      map[string]*tag{},
		plans:          map[string]*plan{},
		nextAttributes: 1,
	}
}

func (st *store) nextSeq() int64 {
	st.seq++
	return st.seq
}

// emailKey is the index key of an email.
func (s *Server) emailKey(email string) string {
	if s.opts.EmailCaseSensitive {
		return email
	}
	return strings.ToLower(email)
}

func (s *Server) indexEmail(c *contact) {
	if c.email == nil || *c.email == "" {
		return
	}
	key := s.emailKey(*c.email)
	s.st.byEmail[key] = append(s.st.byEmail[key], c)
}

func (s *Server) unindexEmail(c *contact) {
	if c.email == nil || *c.email == "" {
		return
	}
	key := s.emailKey(*c.email)
	list := slices.DeleteFunc(s.st.byEmail[key], func(x *contact) bool { return x == c })
	if len(list) == 0 {
		delete(s.st.byEmail, key)
		return
	}
	s.st.byEmail[key] = list
}

// customAttribute returns the defined, unarchived custom attribute of model
// named name.
func (st *store) customAttribute(model, name string) *dataAttribute {
	for _, a := range st.attributes {
		if a.custom && !a.archived && a.model == model && a.name == name {
			return a
		}
	}
	return nil
}

// eventCount returns the number of stored events.
func (st *store) eventCount() int { return len(st.events) - st.eventStart }

// State is a snapshot of everything the simulator holds.
type State struct {
	Contacts       []Contact       `json:"contacts"`
	Companies      []Company       `json:"companies"`
	Events         []Event         `json:"events"`
	Tags           []Tag           `json:"tags"`
	DataAttributes []DataAttribute `json:"data_attributes"`
	// EventsEvicted counts events removed to stay under MaxEvents.
	EventsEvicted int64 `json:"events_evicted"`
}

// Contact is a snapshot of a contact. Empty strings and nil pointers mean
// the field is null in Intercom.
type Contact struct {
	ID                     string         `json:"id"`
	ExternalID             string         `json:"external_id,omitempty"`
	Role                   string         `json:"role"`
	Email                  string         `json:"email,omitempty"`
	Phone                  string         `json:"phone,omitempty"`
	Name                   string         `json:"name,omitempty"`
	Avatar                 string         `json:"avatar,omitempty"`
	OwnerID                *int64         `json:"owner_id,omitempty"`
	UnsubscribedFromEmails bool           `json:"unsubscribed_from_emails"`
	SignedUpAt             *int64         `json:"signed_up_at,omitempty"`
	LastSeenAt             *int64         `json:"last_seen_at,omitempty"`
	CreatedAt              int64          `json:"created_at"`
	UpdatedAt              int64          `json:"updated_at"`
	CustomAttributes       map[string]any `json:"custom_attributes"`
	Archived               bool           `json:"archived"`
	CompanyIDs             []string       `json:"company_ids"`
	TagIDs                 []string       `json:"tag_ids"`
}

// Company is a snapshot of a company with its attached contacts.
type Company struct {
	ID               string         `json:"id"`
	CompanyID        string         `json:"company_id"`
	Name             string         `json:"name,omitempty"`
	Plan             string         `json:"plan,omitempty"`
	Size             *int64         `json:"size,omitempty"`
	Website          string         `json:"website,omitempty"`
	Industry         string         `json:"industry,omitempty"`
	MonthlySpend     int64          `json:"monthly_spend"`
	RemoteCreatedAt  *int64         `json:"remote_created_at,omitempty"`
	CreatedAt        int64          `json:"created_at"`
	UpdatedAt        int64          `json:"updated_at"`
	CustomAttributes map[string]any `json:"custom_attributes"`
	ContactIDs       []string       `json:"contact_ids"`
	TagIDs           []string       `json:"tag_ids"`
}

// Event is a snapshot of a stored data event. Metadata holds at most the
// first 10 keys, as Intercom tracks.
type Event struct {
	EventName string         `json:"event_name"`
	CreatedAt int64          `json:"created_at"`
	ContactID string         `json:"contact_id"`
	UserID    string         `json:"user_id,omitempty"`
	Email     string         `json:"email,omitempty"`
	ID        string         `json:"id,omitempty"`
	Metadata  map[string]any `json:"metadata,omitempty"`
	// MetadataKeys lists the metadata keys in the order they were sent.
	MetadataKeys []string `json:"metadata_keys,omitempty"`
}

// Tag is a snapshot of a tag with what it is applied to.
type Tag struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	CompanyIDs []string `json:"company_ids"`
	ContactIDs []string `json:"contact_ids"`
}

// DataAttribute is a snapshot of a data attribute.
type DataAttribute struct {
	ID       int64    `json:"id,omitempty"`
	Model    string   `json:"model"`
	Name     string   `json:"name"`
	DataType string   `json:"data_type"`
	Options  []string `json:"options,omitempty"`
	Custom   bool     `json:"custom"`
	Archived bool     `json:"archived"`
}

func decodeCustom(custom map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(custom))
	for k, raw := range custom {
		var v any
		if err := json.Unmarshal(raw, &v); err == nil {
			out[k] = v
		}
	}
	return out
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (c *contact) snapshot() Contact {
	return Contact{
		ID: c.id, ExternalID: derefString(c.externalID), Role: c.role,
		Email: derefString(c.email), Phone: derefString(c.phone), Name: derefString(c.name), Avatar: derefString(c.avatar),
		OwnerID: clonePtr(c.ownerID), UnsubscribedFromEmails: c.unsubscribed,
		SignedUpAt: clonePtr(c.signedUpAt), LastSeenAt: clonePtr(c.lastSeenAt),
		CreatedAt: c.createdAt, UpdatedAt: c.updatedAt,
		CustomAttributes: decodeCustom(c.custom), Archived: c.archived,
		CompanyIDs: nonNil(slices.Clone(c.companies)), TagIDs: nonNil(slices.Clone(c.tags)),
	}
}

func (c *company) snapshot() Company {
	out := Company{
		ID: c.id, CompanyID: c.companyID, Name: derefString(c.name),
		Size: clonePtr(c.size), Website: derefString(c.website), Industry: derefString(c.industry),
		MonthlySpend: c.monthlySpend, RemoteCreatedAt: clonePtr(c.remoteCreatedAt),
		CreatedAt: c.createdAt, UpdatedAt: c.updatedAt, CustomAttributes: decodeCustom(c.custom),
		ContactIDs: nonNil(slices.Clone(c.contacts)), TagIDs: nonNil(slices.Clone(c.tags)),
	}
	if c.plan != nil {
		out.Plan = c.plan.name
	}
	return out
}

func (e event) snapshot() Event {
	out := Event{EventName: e.name, CreatedAt: e.createdAt, ContactID: e.contactID, UserID: e.userID, Email: e.email, ID: e.byID}
	if len(e.metadata) > 0 {
		out.Metadata = map[string]any{}
		for _, m := range e.metadata {
			var v any
			if err := json.Unmarshal(m.value, &v); err == nil {
				out.Metadata[m.key] = v
			}
			out.MetadataKeys = append(out.MetadataKeys, m.key)
		}
	}
	return out
}

func (a *dataAttribute) snapshot() DataAttribute {
	return DataAttribute{ID: a.id, Model: a.model, Name: a.name, DataType: a.dataType, Options: slices.Clone(a.options), Custom: a.custom, Archived: a.archived}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// State returns a deep copy of the simulator's state.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out State
	out.Contacts = make([]Contact, 0, len(s.st.contactOrder))
	for _, c := range s.st.contactOrder {
		out.Contacts = append(out.Contacts, c.snapshot())
	}
	out.Companies = make([]Company, 0, len(s.st.companyOrder))
	for _, c := range s.st.companyOrder {
		out.Companies = append(out.Companies, c.snapshot())
	}
	out.Events = make([]Event, 0, s.st.eventCount())
	for _, e := range s.st.events[s.st.eventStart:] {
		out.Events = append(out.Events, e.snapshot())
	}
	out.Tags = s.tagSnapshots()
	out.DataAttributes = make([]DataAttribute, 0, len(s.st.attributes))
	for _, a := range s.st.attributes {
		out.DataAttributes = append(out.DataAttributes, a.snapshot())
	}
	out.EventsEvicted = s.st.eventsDropped
	return out
}

// tagSnapshots lists every tag with the companies and contacts it is
// applied to, in one pass over each.
func (s *Server) tagSnapshots() []Tag {
	index := make(map[string]int, len(s.st.tagOrder))
	out := make([]Tag, 0, len(s.st.tagOrder))
	for i, t := range s.st.tagOrder {
		index[t.id] = i
		out = append(out, Tag{ID: t.id, Name: t.name, CompanyIDs: []string{}, ContactIDs: []string{}})
	}
	for _, c := range s.st.companyOrder {
		for _, id := range c.tags {
			if i, ok := index[id]; ok {
				out[i].CompanyIDs = append(out[i].CompanyIDs, c.id)
			}
		}
	}
	for _, c := range s.st.contactOrder {
		for _, id := range c.tags {
			if i, ok := index[id]; ok {
				out[i].ContactIDs = append(out[i].ContactIDs, c.id)
			}
		}
	}
	return out
}

// Contacts returns snapshots of all contacts, archived ones included.
func (s *Server) Contacts() []Contact { return s.State().Contacts }

// Companies returns snapshots of all companies with their attached contacts.
func (s *Server) Companies() []Company { return s.State().Companies }

// Events returns snapshots of the stored events, oldest first.
func (s *Server) Events() []Event { return s.State().Events }

// Tags returns snapshots of all tags.
func (s *Server) Tags() []Tag { return s.State().Tags }

// DataAttributes returns snapshots of all data attributes, standard ones included.
func (s *Server) DataAttributes() []DataAttribute { return s.State().DataAttributes }

// ContactByExternalID returns the contact with the given external_id.
func (s *Server) ContactByExternalID(externalID string) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.byExternalID[externalID]
	if !ok {
		return Contact{}, false
	}
	return c.snapshot(), true
}

// CompanyByCompanyID returns the company with the given company_id.
func (s *Server) CompanyByCompanyID(companyID string) (Company, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.byCompanyID[companyID]
	if !ok {
		return Company{}, false
	}
	return c.snapshot(), true
}
