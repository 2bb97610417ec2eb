package migrate

import (
	"fmt"
	"strings"
	"testing"
)

// workspaceWith builds a workspace from "model:name:type" specs; a trailing
// ":archived" archives the attribute and a leading "std:" makes it
// standard.
func workspaceWith(specs ...string) *Workspace {
	ws := &Workspace{URL: "http://127.0.0.1:1", Attributes: map[string]map[string]WorkspaceAttribute{}}
	for _, spec := range specs {
		custom := true
		if rest, ok := strings.CutPrefix(spec, "std:"); ok {
			spec, custom = rest, false
		}
		parts := strings.Split(spec, ":")
		a := WorkspaceAttribute{Model: parts[0], Name: parts[1], DataType: parts[2], Custom: custom}
		if len(parts) > 3 && parts[3] == "archived" {
			a.Archived = true
		}
		if ws.Attributes[a.Model] == nil {
			ws.Attributes[a.Model] = map[string]WorkspaceAttribute{}
		}
		ws.Attributes[a.Model][a.Name] = a
	}
	return ws
}

func attr(model, name string, types map[string]int) *Attribute {
	events := 0
	for _, n := range types {
		events += n
	}
	return &Attribute{Model: model, Name: name, Types: types, Type: mergeTypes(types), Events: events, Examples: []string{"e1"}}
}

func TestJudgeAttributeStates(t *testing.T) {
	ws := workspaceWith(
		"contact:plan:string", "contact:seats:integer", "contact:old:string:archived",
		"contact:score:float", "contact:when:string", "company:tier:string",
		"std:contact:owner_id:integer",
	)
	tests := []struct {
		name   string
		attr   *Attribute
		ws     *Workspace
		status string
		kind   string // "" when no problem
		reason string
	}{
		{"defined", attr(modelContact, "plan", map[string]int{"string": 2}), ws, StatusDefined, "", ""},
		{"integer fits float", attr(modelContact, "score", map[string]int{"integer": 1}), ws, StatusDefined, "", ""},
		{"date fits string", attr(modelContact, "when", map[string]int{"date": 1}), ws, StatusDefined, "", ""},
		{"type differs", attr(modelContact, "seats", map[string]int{"string": 1}), ws, StatusTypeDiffers, KindTypeMismatch, "defines it as integer"},
		{"archived", attr(modelContact, "old", map[string]int{"string": 1}), ws, StatusArchived, KindArchived, "archived"},
		{"missing", attr(modelContact, "colour", map[string]int{"string": 1}), ws, StatusMissing, KindUndefined, ""},
		{"missing null only", attr(modelContact, "gone", map[string]int{"null": 1}), ws, StatusMissing, KindUndefined, "null"},
		{"unknown without workspace", attr(modelContact, "colour", map[string]int{"string": 1}), nil, StatusUnknown, "", ""},
		{"bad name", attr(modelContact, "a.b", map[string]int{"string": 1}), nil, StatusRefusedName, KindRefusedName, `"."`},
		{"conflict", attr(modelContact, "mixed", map[string]int{"string": 1, "integer": 2}), nil, StatusTypeConflict, KindTypeConflict, "integer in 2 events and string in 1 event"},
		{"standard in workspace", attr(modelContact, "owner_id", map[string]int{"integer": 1}), ws, StatusRefusedName, KindRefusedName, "standard"},
		{"used by the other model", attr(modelContact, "tier", map[string]int{"string": 1}), ws, StatusRefusedName, KindRefusedName, "company attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := judgeAttributes([]*Attribute{tt.attr}, tt.ws)
			if tt.attr.Status != tt.status {
				t.Errorf("status = %q (%s), want %q", tt.attr.Status, tt.attr.Reason, tt.status)
			}
			if tt.kind == "" {
				if len(problems) != 0 {
					t.Errorf("problems = %+v, want none", problems)
				}
				return
			}
			if len(problems) != 1 || problems[0].Kind != tt.kind {
				t.Fatalf("problems = %+v, want one %s", problems, tt.kind)
			}
			if !strings.Contains(problems[0].Message, tt.reason) {
				t.Errorf("message %q does not contain %q", problems[0].Message, tt.reason)
			}
			if problems[0].Count != tt.attr.Events || len(problems[0].Examples) == 0 {
				t.Errorf("problem counts %d events with examples %v, want %d", problems[0].Count, problems[0].Examples, tt.attr.Events)
			}
		})
	}
}

func TestJudgeSameNameInBothModels(t *testing.T) {
	contact := attr(modelContact, "tier", map[string]int{"string": 1})
	company := attr(modelCompany, "tier", map[string]int{"string": 1})
	judgeAttributes([]*Attribute{contact, company}, nil)
	if contact.Status != StatusUnknown {
		t.Errorf("contact tier = %s, want unknown", contact.Status)
	}
	if company.Status != StatusRefusedName {
		t.Errorf("company tier = %s, want refused: the contact attribute takes the name", company.Status)
	}

	// A company attribute the workspace already has keeps its name, and
	// the contact one is the one rejected.
	contact = attr(modelContact, "tier", map[string]int{"string": 1})
	company = attr(modelCompany, "tier", map[string]int{"string": 1})
	judgeAttributes([]*Attribute{contact, company}, workspaceWith("company:tier:string"))
	if company.Status != StatusDefined || contact.Status != StatusRefusedName {
		t.Errorf("with a company tier defined: contact %s, company %s; want refused_name and defined", contact.Status, company.Status)
	}
}

func TestJudgeAttributeLimit(t *testing.T) {
	specs := make([]string, 0, 248)
	for i := range 248 {
		specs = append(specs, fmt.Sprintf("contact:existing_%d:string", i))
	}
	specs = append(specs, "contact:retired:string:archived")
	ws := workspaceWith(specs...)

	two := []*Attribute{attr(modelContact, "new_a", map[string]int{"string": 1}), attr(modelContact, "new_b", map[string]int{"string": 1})}
	if problems := judgeAttributes(two, ws); len(problems) != 2 {
		t.Errorf("248 + 2 = 250 attributes: problems = %+v, want only the 2 undefined ones", problems)
	}

	three := append(two, attr(modelCompany, "new_c", map[string]int{"integer": 1}))
	problems := judgeAttributes(three, ws)
	last := problems[len(problems)-1]
	if last.Kind != KindLimit || !strings.Contains(last.Message, "251") {
		t.Errorf("248 + 3 attributes: last problem = %+v, want the limit with 251", last)
	}

	many := make([]*Attribute, 0, 251)
	for i := range 251 {
		many = append(many, attr(modelContact, fmt.Sprintf("a%d", i), map[string]int{"string": 1}))
	}
	problems = judgeAttributes(many, nil)
	if len(problems) != 1 || problems[0].Kind != KindLimit {
		t.Errorf("251 attributes without a workspace: problems = %+v, want the limit", problems)
	}
}
