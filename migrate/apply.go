package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/intercom-gateway/gateway/intercom"
)

// Results of an ApplyItem.
const (
	ResultCreated = "created"
	ResultFailed  = "failed"
	ResultSkipped = "skipped"
)

// ApplyReport is the record of Apply's results, one item per attribute.
type ApplyReport struct {
	Created int         `json:"created"`
	Failed  int         `json:"failed"`
	Skipped int         `json:"skipped"`
	Items   []ApplyItem `json:"items"`
}

// ApplyItem is the result for one attribute.
type ApplyItem struct {
	Model  string `json:"model"`
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Result string `json:"result"`
	// Message is Intercom's message for a failure, or why the attribute was
	// skipped.
	Message string `json:"message,omitempty"`
}

// ApplyPlan returns the attributes Apply would create, and the ones it
// would skip with the reason: a name Intercom rejects, conflicting or
// unknown types, a different type or an archived attribute in the
// workspace, or an attribute that only exists because the events still
// carry API 1.4 fields. Defined attributes are in neither list.
func (r *Report) ApplyPlan() (create []*Attribute, skip []ApplyItem) {
	for _, a := range r.Attributes {
		item := ApplyItem{Model: a.Model, Name: a.Name, Type: a.Type, Result: ResultSkipped, Message: a.Reason}
		switch a.Status {
		case StatusMissing:
			if reason := legacyAttributeReason(a.Name); reason != "" {
				item.Message = reason
				break
			}
			if a.Type != "" {
				create = append(create, a)
				continue
			}
		case StatusRefusedName, StatusTypeConflict, StatusTypeDiffers, StatusArchived:
		default:
			continue
		}
		skip = append(skip, item)
	}
	return create, skip
}

// Apply creates the attributes of ApplyPlan with POST /data_attributes,
// one at a time, and records each result in r.Apply. It then judges the
// report again, so created attributes no longer count as problems. It
// needs a report made with a Workspace, and the client of that workspace.
func Apply(ctx context.Context, client *intercom.Client, r *Report) error {
	if r.workspace == nil {
		return errors.New("migrate: the report was made without a workspace, so there is nothing to compare the attributes with; check with a workspace before applying")
	}
	create, skip := r.ApplyPlan()
	report := &ApplyReport{}
	for _, a := range create {
		item := createAttribute(ctx, client, a)
		if item.Result == ResultCreated {
			r.workspace.define(a.Model, a.Name, a.Type)
			report.Created++
		} else {
			report.Failed++
		}
		report.Items = append(report.Items, item)
	}
	report.Skipped = len(skip)
	report.Items = append(report.Items, skip...)
	r.Apply = report
	r.judge()
	return nil
}

// createAttribute sends one POST /data_attributes.
func createAttribute(ctx context.Context, client *intercom.Client, a *Attribute) ApplyItem {
	item := ApplyItem{Model: a.Model, Name: a.Name, Type: a.Type}
	body, err := json.Marshal(map[string]string{"name": a.Name, "model": a.Model, "data_type": a.Type})
	if err != nil {
		item.Result, item.Message = ResultFailed, "encode the request: "+err.Error()
		return item
	}
	resp, err := client.Do(ctx, intercom.Request{Method: http.MethodPost, Path: "/data_attributes", Body: body})
	switch {
	case err != nil:
		item.Result, item.Message = ResultFailed, err.Error()
	case resp.Status != http.StatusOK:
		item.Result, item.Message = ResultFailed, fmt.Sprintf("Intercom returned %d: %s", resp.Status, intercomMessage(resp.Body))
	default:
		item.Result = ResultCreated
	}
	return item
}

// legacyAttributeReason explains why an attribute made from an API 1.4
// field is not created: the report asks to remove the field from the
// events instead.
func legacyAttributeReason(name string) string {
	switch {
	case legacyKeys[name]:
		return "comes from the API 1.4 field " + name + "; send lastSeenAt instead of creating it"
	case strings.HasPrefix(name, "companies_"):
		return "comes from an API 1.4 companies list on the user; send the company as traits.company or a group call instead of creating it"
	}
	return ""
}
