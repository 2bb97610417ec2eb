package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/tidwall/gjson"
)

// standardAttributes are the built-in data attributes listed for each model.
var standardAttributes = map[string][]struct{ name, fullName, dataType string }{
	"contact": {
		{"name", "name", "string"}, {"email", "email", "string"}, {"phone", "phone", "string"},
		{"external_id", "external_id", "string"}, {"role", "role", "string"},
		{"owner_id", "owner_id", "integer"}, {"avatar", "avatar", "string"},
		{"signed_up_at", "signed_up_at", "date"}, {"last_seen_at", "last_seen_at", "date"},
		{"created_at", "created_at", "date"}, {"updated_at", "updated_at", "date"},
		{"unsubscribed_from_emails", "unsubscribed_from_emails", "boolean"},
	},
	"company": {
		{"name", "name", "string"}, {"company_id", "company_id", "string"},
		{"plan", "plan.name", "string"}, {"size", "size", "integer"},
		{"website", "website", "string"}, {"industry", "industry", "string"},
		{"monthly_spend", "monthly_spend", "float"}, {"remote_created_at", "remote_created_at", "date"},
		{"created_at", "created_at", "date"}, {"updated_at", "updated_at", "date"},
		{"user_count", "user_count", "integer"}, {"session_count", "session_count", "integer"},
	},
}

var dataTypes = []string{"string", "integer", "float", "boolean", "datetime", "date"}

// modelWord is the word Intercom's messages use for a model's data.
func modelWord(model string) string {
	if model == "company" {
		return "company"
	}
	return "people"
}

type dataAttributeView struct {
	Type              string   `json:"type"`
	ID                int64    `json:"id,omitempty"`
	Model             string   `json:"model"`
	Name              string   `json:"name"`
	FullName          string   `json:"full_name"`
	Label             string   `json:"label"`
	Description       string   `json:"description,omitempty"`
	DataType          string   `json:"data_type"`
	Options           []string `json:"options,omitempty"`
	APIWritable       bool     `json:"api_writable"`
	MessengerWritable bool     `json:"messenger_writable"`
	UIWritable        bool     `json:"ui_writable"`
	Custom            bool     `json:"custom"`
	Archived          bool     `json:"archived"`
	CreatedAt         int64    `json:"created_at,omitempty"`
	UpdatedAt         int64    `json:"updated_at,omitempty"`
	AdminID           string   `json:"admin_id,omitempty"`
}

func (s *Server) attributeView(a *dataAttribute) dataAttributeView {
	v := dataAttributeView{
		Type: "data_attribute", ID: a.id, Model: a.model, Name: a.name, FullName: a.name,
		Label: a.label, Description: a.description, DataType: a.dataType, Options: slices.Clone(a.options),
		APIWritable: true, MessengerWritable: a.messengerWritable, UIWritable: true,
		Custom: a.custom, Archived: a.archived, CreatedAt: a.createdAt, UpdatedAt: a.updatedAt,
	}
	if a.fullName != "" {
		v.FullName = a.fullName
	}
	if a.custom {
		v.FullName = "custom_attributes." + a.name
		v.AdminID = fmt.Sprint(s.opts.AdminIDs[0])
	}
	return v
}

func (s *Server) listDataAttributes(r *http.Request, _ gjson.Result) (int, any, *apiError) {
	q := r.URL.Query()
	model := q.Get("model")
	switch model {
	case "", "contact", "company", "conversation":
	default:
		// Simulator wording for an unknown model.
		return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "model must be contact, company or conversation")
	}
	includeArchived := q.Get("include_archived") == "true"
	out := struct {
		Type string              `json:"type"`
		Data []dataAttributeView `json:"data"`
	}{Type: "list", Data: []dataAttributeView{}}
	for _, a := range s.st.attributes {
		if (model != "" && a.model != model) || (a.archived && !includeArchived) {
			continue
		}
		out.Data = append(out.Data, s.attributeView(a))
	}
	return http.StatusOK, out, nil
}

func (s *Server) createDataAttribute(_ *http.Request, body gjson.Result) (int, any, *apiError) {
	f, ok := objectFields(body)
	if !ok {
		return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "Request body must be a JSON object")
	}
	var seed DataAttributeSeed
	var description *string
	var messengerWritable *bool
	var e *apiError
	strs := map[string]*string{}
	for _, key := range []string{"name", "model", "data_type"} {
		if strs[key], _, e = f.optString(key); e != nil {
			return 0, nil, e
		}
	}
	seed.Name, seed.Model, seed.DataType = derefString(strs["name"]), derefString(strs["model"]), derefString(strs["data_type"])
	if description, _, e = f.optString("description"); e != nil {
		return 0, nil, e
	}
	if messengerWritable, _, e = f.optBool("messenger_writable"); e != nil {
		return 0, nil, e
	}
	if v, ok := f.values["options"]; ok {
		if !v.IsArray() {
			return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "Options isn't an array")
		}
		for _, item := range v.Array() {
			if item.Type != gjson.String {
				return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "Options isn't an array")
			}
			seed.Options = append(seed.Options, item.Str)
		}
		if seed.Options == nil {
			seed.Options = []string{}
		}
	}

	a, e := s.addAttribute(seed)
	if e != nil {
		return 0, nil, e
	}
	a.description = derefString(description)
	a.messengerWritable = messengerWritable != nil && *messengerWritable
	return http.StatusOK, s.attributeView(a), nil
}

// addAttribute validates and stores a custom data attribute with the
// messages Intercom documents for POST /data_attributes.
func (s *Server) addAttribute(seed DataAttributeSeed) (*dataAttribute, *apiError) {
	bad := func(format string, args ...any) *apiError {
		return errorf(http.StatusBadRequest, "parameter_invalid", format, args...)
	}
	if strings.TrimSpace(seed.Name) == "" {
		// Simulator wording: a missing name's message is not documented.
		return nil, bad("Name can't be blank")
	}
	if seed.Model != "contact" && seed.Model != "company" {
		return nil, bad("The Data Attribute model field must be either contact or company")
	}
	if !slices.Contains(dataTypes, seed.DataType) {
		return nil, bad("Data Type isn't an option")
	}
	if !validAttributeName(seed.Name) {
		return nil, bad("Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens")
	}
	word := modelWord(seed.Model)
	for _, std := range standardAttributes[seed.Model] {
		if strings.EqualFold(strings.ReplaceAll(seed.Name, " ", "_"), std.name) {
			return nil, bad("'%s' is one of our standard attributes for your %s data. To save this as new %s data, use a different name.", seed.Name, word, word)
		}
	}
	for _, a := range s.st.attributes {
		if a.custom && a.name == seed.Name {
			return nil, bad("You already have '%s' in your %s data. To save this as new %s data, use a different name.", seed.Name, modelWord(a.model), word)
		}
	}
	if seed.Options != nil {
		if seed.DataType != "string" {
			// Simulator wording: list attributes must be strings.
			return nil, bad("A list type data attribute must have the string data type")
		}
		if len(seed.Options) < 2 {
			return nil, bad("You must have at least two options on a list type data attribute")
		}
	}
	custom := 0
	for _, a := range s.st.attributes {
		if a.custom && !a.archived {
			custom++
		}
	}
	if custom >= MaxCustomAttributes {
		// Simulator wording; the code is the one Intercom's SDKs handle.
		return nil, errorf(http.StatusBadRequest, "custom_data_limit_reached", "You have reached the limit of %d custom data attributes; archive some to add more", MaxCustomAttributes)
	}

	dataType := seed.DataType
	if dataType == "datetime" {
		// NOTE: the 2.10 file lets a request ask for "datetime" but lists no
		// such type in responses, so the simulator stores it as "date".
		dataType = "date"
	}
	now := s.now().Unix()
	a := &dataAttribute{
		id: s.st.nextAttributes, model: seed.Model, name: seed.Name, label: seed.Name,
		dataType: dataType, options: slices.Clone(seed.Options), custom: true, archived: seed.Archived,
		createdAt: now, updatedAt: now,
	}
	s.st.nextAttributes++
	s.st.attributes = append(s.st.attributes, a)
	return a, nil
}

// validAttributeName applies the documented character rule: letters,
// digits, currency symbols and hyphens. Spaces and underscores are allowed
// too, because Intercom's own successful examples use them.
func validAttributeName(name string) bool {
	for _, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Sc, r):
		case r == '-', r == '_', r == ' ':
		default:
			return false
		}
	}
	return true
}

// seedAttributes stores the standard attributes and Options.DataAttributes.
func (s *Server) seedAttributes(seeds []DataAttributeSeed) error {
	for _, model := range []string{"contact", "company"} {
		for _, std := range standardAttributes[model] {
			s.st.attributes = append(s.st.attributes, &dataAttribute{model: model, name: std.name, fullName: std.fullName, label: std.name, dataType: std.dataType})
		}
	}
	for _, seed := range seeds {
		if _, e := s.addAttribute(seed); e != nil {
			return fmt.Errorf("sim: data attribute %q (model %q): %s", seed.Name, seed.Model, e.message)
		}
	}
	return nil
}
