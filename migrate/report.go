package migrate

import "fmt"

// Report is the result of Check, printed as text by WriteText and as JSON
// by encoding/json.
type Report struct {
	Input     InputSummary     `json:"input"`
	Workspace WorkspaceSummary `json:"workspace"`
	Settings  SettingsPlan     `json:"settings"`
	// Attributes lists every custom attribute the events would write,
	// contact ones first, each sorted by name.
	Attributes []*Attribute  `json:"attributes"`
	Events     EventsSummary `json:"events"`
	// Problems block the migration: events or attributes that would fail.
	Problems []Finding `json:"problems"`
	// Warnings change what reaches Intercom without failing an event.
	Warnings []Finding `json:"warnings"`
	// Apply is set when Apply ran.
	Apply   *ApplyReport `json:"apply,omitempty"`
	Summary Summary      `json:"summary"`

	workspace       *Workspace
	settingProblems []Finding
	eventProblems   []Finding
	eventWarnings   []Finding
}

// InputSummary describes the files Check read.
type InputSummary struct {
	Settings        string `json:"settings"`
	SettingsFormat  string `json:"settingsFormat"`
	DestinationID   string `json:"destinationId,omitempty"`
	DestinationName string `json:"destinationName,omitempty"`
	Events          string `json:"events"`
	EventsFormat    string `json:"eventsFormat"`
	// Errors are the parts of the events file that could not be read.
	Errors []InputError `json:"errors,omitempty"`
}

// WorkspaceSummary says whether the attributes were compared with a
// workspace.
type WorkspaceSummary struct {
	Checked bool   `json:"checked"`
	URL     string `json:"url,omitempty"`
	// CustomAttributes counts the workspace's custom attributes per model,
	// archived ones left out.
	CustomAttributes map[string]int `json:"customAttributes,omitempty"`
}

// EventsSummary counts the sample's events and how their dry run ended.
type EventsSummary struct {
	Total  int         `json:"total"`
	ByType []TypeCount `json:"byType"`
}

// TypeCount is how the dry run ended for the events of one type.
type TypeCount struct {
	Type      string `json:"type"`
	Events    int    `json:"events"`
	Delivered int    `json:"delivered"`
	Invalid   int    `json:"invalid"`
	// NotSent counts page, screen and alias events, which the gateway
	// accepts without sending them.
	NotSent int `json:"notSent"`
	// Rejected counts events the ingestion API rejects.
	Rejected int `json:"rejected"`
	// Failed counts dry runs that ended in another outcome.
	Failed int `json:"failed"`
}

// Summary counts the findings.
type Summary struct {
	Blocking    int    `json:"blocking"`
	Warnings    int    `json:"warnings"`
	InputErrors int    `json:"inputErrors"`
	Verdict     string `json:"verdict"`
}

// Blocked reports whether a problem blocks the migration.
func (r *Report) Blocked() bool { return r.Summary.Blocking > 0 }

// HasInputErrors reports whether part of the events file could not be
// read.
func (r *Report) HasInputErrors() bool { return len(r.Input.Errors) > 0 }

// judge sets the attributes' states against the workspace and rebuilds
// the problems, the warnings and the summary. Apply calls it again after
// creating attributes.
func (r *Report) judge() {
	attributeProblems := judgeAttributes(r.Attributes, r.workspace)
	r.Problems = concat(r.settingProblems, attributeProblems, r.eventProblems)
	r.Warnings = concat(r.Settings.Warnings, r.eventWarnings)
	if r.workspace != nil {
		r.Workspace = WorkspaceSummary{Checked: true, URL: r.workspace.URL, CustomAttributes: map[string]int{
			modelContact: r.workspace.customCountOf(modelContact),
			modelCompany: r.workspace.customCountOf(modelCompany),
		}}
	}

	r.Summary = Summary{Blocking: len(r.Problems), Warnings: len(r.Warnings), InputErrors: len(r.Input.Errors)}
	switch {
	case r.Summary.InputErrors > 0:
		r.Summary.Verdict = fmt.Sprintf("%s of the events file could not be read; fix them and run the check again", plural(r.Summary.InputErrors, "part"))
	case r.Summary.Blocking > 0:
		verb := "block"
		if r.Summary.Blocking == 1 {
			verb = "blocks"
		}
		r.Summary.Verdict = fmt.Sprintf("%s %s the migration; fix them before the gateway delivers these events", plural(r.Summary.Blocking, "problem"), verb)
	case r.workspace == nil && len(r.Attributes) > 0:
		r.Summary.Verdict = "nothing in the sample blocks the migration, but the attributes were not compared with a workspace; run the check again with -token-env"
	default:
		r.Summary.Verdict = "nothing in the sample blocks the migration"
	}
}

// concat joins finding lists into a new, non-nil slice.
func concat(lists ...[]Finding) []Finding {
	out := []Finding{}
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
