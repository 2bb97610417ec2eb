package migrate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/intercom-gateway/gateway/intercom"
)

// MaxCustomAttributes is Intercom's limit of custom data attributes per
// workspace, both models together. Archiving one frees its slot.
const MaxCustomAttributes = 250

// Workspace is the data attributes of one Intercom workspace.
type Workspace struct {
	// URL is the API root the attributes were listed from.
	URL string
	// Attributes maps model → name → attribute, archived ones included.
	Attributes map[string]map[string]WorkspaceAttribute
}

// WorkspaceAttribute is one data attribute as GET /data_attributes lists
// it.
type WorkspaceAttribute struct {
	Model    string `json:"model"`
	Name     string `json:"name"`
	DataType string `json:"data_type"`
	Custom   bool   `json:"custom"`
	Archived bool   `json:"archived"`
}

// FetchWorkspace lists the contact and company data attributes of the
// client's workspace, archived ones included. The error says which call
// failed and what Intercom answered.
func FetchWorkspace(ctx context.Context, client *intercom.Client) (*Workspace, error) {
	ws := &Workspace{URL: client.BaseURL(), Attributes: map[string]map[string]WorkspaceAttribute{}}
	for _, model := range []string{modelContact, modelCompany} {
		path := "/data_attributes?model=" + model + "&include_archived=true"
		resp, err := client.Do(ctx, intercom.Request{Method: http.MethodGet, Path: path})
		if err != nil {
			return nil, fmt.Errorf("list the workspace's %s data attributes (GET %s on %s): %w", model, path, client.BaseURL(), err)
		}
		if resp.Status != http.StatusOK {
			return nil, fmt.Errorf("list the workspace's %s data attributes (GET %s on %s): Intercom returned %d %s; check the token and the region", model, path, client.BaseURL(), resp.Status, intercomMessage(resp.Body))
		}
		var list struct {
			Data []WorkspaceAttribute `json:"data"`
		}
		if err := json.Unmarshal(resp.Body, &list); err != nil {
			return nil, fmt.Errorf("list the workspace's %s data attributes (GET %s on %s): the response is not a data attribute list: %w", model, path, client.BaseURL(), err)
		}
		byName := map[string]WorkspaceAttribute{}
		for _, a := range list.Data {
			if a.Model == "" {
				a.Model = model
			}
			byName[a.Name] = a
		}
		ws.Attributes[model] = byName
	}
	return ws, nil
}

// customCount counts the custom attributes that are not archived, which
// is what Intercom's limit counts.
func (w *Workspace) customCount() int {
	n := 0
	for _, byName := range w.Attributes {
		for _, a := range byName {
			if a.Custom && !a.Archived {
				n++
			}
		}
	}
	return n
}

// customCountOf counts one model's custom attributes that are not
// archived.
func (w *Workspace) customCountOf(model string) int {
	n := 0
	for _, a := range w.Attributes[model] {
		if a.Custom && !a.Archived {
			n++
		}
	}
	return n
}

// lookup returns the attribute of model with that exact name.
func (w *Workspace) lookup(model, name string) (WorkspaceAttribute, bool) {
	a, ok := w.Attributes[model][name]
	return a, ok
}

// define records an attribute created by Apply.
func (w *Workspace) define(model, name, dataType string) {
	if w.Attributes[model] == nil {
		w.Attributes[model] = map[string]WorkspaceAttribute{}
	}
	w.Attributes[model][name] = WorkspaceAttribute{Model: model, Name: name, DataType: dataType, Custom: true}
}

// intercomMessage returns the messages of an error.list body, or the
// body's first bytes.
func intercomMessage(body []byte) string {
	if list, err := intercom.ParseError(body); err == nil {
		return list.Messages()
	}
	return shortText(string(body), 200)
}
