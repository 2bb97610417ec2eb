package migrate

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// judgeAttributes sets each attribute's Status against Intercom's naming
// rules, the other attributes and, when ws is not nil, the workspace. It
// returns one blocking Finding per attribute that would fail delivery,
// and one for the workspace limit.
func judgeAttributes(attrs []*Attribute, ws *Workspace) []Finding {
	sampleModels := map[string][]string{}
	for _, a := range attrs {
		sampleModels[a.Name] = append(sampleModels[a.Name], a.Model)
	}

	var problems []Finding
	for _, a := range attrs {
		a.Status, a.Reason, a.WorkspaceType = judgeOne(a, ws, sampleModels[a.Name])
		if f, ok := attributeProblem(a); ok {
			problems = append(problems, f)
		}
	}
	if f, ok := limitProblem(attrs, ws); ok {
		problems = append(problems, f)
	}
	return problems
}

// judgeOne returns the state of one attribute, the reason for a blocking
// state and the workspace's type for it.
func judgeOne(a *Attribute, ws *Workspace, sampleModels []string) (status, reason, workspaceType string) {
	if why := nameRejection(a.Model, a.Name); why != "" {
		return StatusRefusedName, why, ""
	}
	other := otherModel(a.Model)
	if ws != nil {
		if existing, ok := ws.lookup(a.Model, a.Name); ok && !existing.Custom {
			return StatusRefusedName, fmt.Sprintf("the workspace lists %q as a standard %s attribute, so no custom attribute can have this name", a.Name, a.Model), ""
		}
		_, definedHere := ws.lookup(a.Model, a.Name)
		if existing, ok := ws.lookup(other, a.Name); ok && existing.Custom && !definedHere {
			return StatusRefusedName, fmt.Sprintf("the workspace already has %q as a %s attribute, and Intercom rejects the same name in %s data", a.Name, other, modelData(a.Model)), ""
		}
	}
	if a.Model == modelCompany && slices.Contains(sampleModels, modelContact) && !definedIn(ws, modelCompany, a.Name) && !definedIn(ws, modelContact, a.Name) {
		return StatusRefusedName, fmt.Sprintf("the events also write %q on contacts, and Intercom rejects a company attribute with the name of a contact attribute; rename one of the traits", a.Name), ""
	}
	if a.hasConflict() {
		return StatusTypeConflict, "the events send " + describeTypes(a.Types) + "; Intercom stores one type per attribute, so the values of all but one type would fail", ""
	}
	if ws == nil {
		return StatusUnknown, "", ""
	}
	existing, ok := ws.lookup(a.Model, a.Name)
	switch {
	case !ok:
		if a.Type == "" {
			return StatusMissing, "every value is null, so the type cannot be inferred; define it by hand", ""
		}
		return StatusMissing, "", ""
	case existing.Archived:
		return StatusArchived, "the workspace has archived it; unarchive it in Intercom's settings or stop sending it", existing.DataType
	case !typeFits(existing.DataType, a.Type):
		return StatusTypeDiffers, fmt.Sprintf("the workspace defines it as %s but the events send %s", existing.DataType, describeTypes(a.Types)), existing.DataType
	}
	return StatusDefined, "", existing.DataType
}

// attributeProblem returns the blocking Finding of an attribute, if any.
func attributeProblem(a *Attribute) (Finding, bool) {
	f := Finding{Subject: fmt.Sprintf("%s attribute %q", a.Model, a.Name), Count: a.Events, Examples: a.Examples, Message: a.Reason}
	switch a.Status {
	case StatusRefusedName:
		f.Kind = KindRefusedName
	case StatusTypeConflict:
		f.Kind = KindTypeConflict
	case StatusTypeDiffers:
		f.Kind = KindTypeMismatch
		f.Message += "; change the events or the attribute's type in Intercom"
	case StatusArchived:
		f.Kind = KindArchived
	case StatusMissing:
		f.Kind = KindUndefined
		msg := fmt.Sprintf("the workspace does not define it, so Intercom rejects every %s write that carries it; create it as %s (migrate check -apply does)", a.Model, a.Type)
		if a.Type == "" {
			msg = "the workspace does not define it and " + a.Reason
		}
		f.Message = msg
	default:
		return Finding{}, false
	}
	return f, true
}

// limitProblem reports when the attributes still to create would take the
// workspace past MaxCustomAttributes.
func limitProblem(attrs []*Attribute, ws *Workspace) (Finding, bool) {
	needed := 0
	for _, a := range attrs {
		switch a.Status {
		case StatusMissing, StatusUnknown, StatusTypeConflict:
			needed++
		}
	}
	defined := 0
	if ws != nil {
		defined = ws.customCount()
	}
	if defined+needed <= MaxCustomAttributes {
		return Finding{}, false
	}
	msg := fmt.Sprintf("the events need %d custom attributes that are not defined yet; with the %d the workspace has, that makes %d, above Intercom's limit of %d per workspace; archive unused attributes or send fewer traits", needed, defined, defined+needed, MaxCustomAttributes)
	if ws == nil {
		msg = fmt.Sprintf("the events write %d custom attributes, above Intercom's limit of %d per workspace; send fewer traits", needed, MaxCustomAttributes)
	}
	return Finding{Kind: KindLimit, Subject: "workspace", Message: msg}, true
}

// describeTypes lists the inferred types with their event counts, such as
// "integer in 2 events and string in 1 event".
func describeTypes(types map[string]int) string {
	names := make([]string, 0, len(types))
	for t := range types {
		names = append(names, t)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, t := range names {
		parts = append(parts, fmt.Sprintf("%s in %s", t, plural(types[t], "event")))
	}
	switch len(parts) {
	case 0:
		return "no value"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func otherModel(model string) string {
	if model == modelContact {
		return modelCompany
	}
	return modelContact
}

// modelData is the word Intercom's messages use for a model's data.
func modelData(model string) string {
	if model == modelContact {
		return "people"
	}
	return "company"
}

func definedIn(ws *Workspace, model, name string) bool {
	if ws == nil {
		return false
	}
	a, ok := ws.lookup(model, name)
	return ok && a.Custom
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
