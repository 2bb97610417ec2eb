package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textWidth is the width the text report wraps its prose at.
const textWidth = 78

// WriteText writes the report as text: sections with headings, aligned
// tables and wrapped explanations. It writes the apply section only when
// Apply ran.
func WriteText(w io.Writer, r *Report) error {
	var b bytes.Buffer
	b.WriteString("Intercom migration check: API 1.4 to 2.10\n")
	writeInput(&b, r)
	writeSettings(&b, r)
	writeAttributes(&b, r)
	writeEvents(&b, r)
	writeFindings(&b, "Problems that block the migration", r.Problems)
	writeFindings(&b, "Warnings", r.Warnings)
	if r.Apply != nil {
		writeApply(&b, r.Apply)
	}
	writeSummary(&b, "Summary", r)
	_, err := w.Write(b.Bytes())
	return err
}

// WriteApplyText writes only the apply section and the summary after it,
// for a command that printed the report before asking to apply.
func WriteApplyText(w io.Writer, r *Report) error {
	var b bytes.Buffer
	if r.Apply != nil {
		writeApply(&b, r.Apply)
	}
	writeSummary(&b, "Summary after apply", r)
	_, err := w.Write(b.Bytes())
	return err
}

func heading(b *bytes.Buffer, title string) {
	fmt.Fprintf(b, "\n%s\n%s\n", title, strings.Repeat("-", len([]rune(title))))
}

func writeInput(b *bytes.Buffer, r *Report) {
	heading(b, "Input")
	t := newTable(b)
	settings := r.Input.Settings + " (" + r.Input.SettingsFormat
	if r.Input.DestinationName != "" {
		settings += " " + strconv.Quote(r.Input.DestinationName)
	}
	if r.Input.DestinationID != "" {
		settings += ", id " + r.Input.DestinationID
	}
	t.row("Settings", settings+")")
	t.row("Events", fmt.Sprintf("%s (%s, %s)", r.Input.Events, r.Input.EventsFormat, plural(r.Events.Total, "event")))
	if r.Workspace.Checked {
		t.row("Workspace", fmt.Sprintf("%s (%d contact and %d company custom attributes)", r.Workspace.URL,
			r.Workspace.CustomAttributes[modelContact], r.Workspace.CustomAttributes[modelCompany]))
	} else {
		t.row("Workspace", "not checked, so each attribute's state is unknown; give -token-env to compare with a workspace")
	}
	t.flush()

	if len(r.Input.Errors) > 0 {
		fmt.Fprintf(b, "\n  %s of the events file could not be read:\n", plural(len(r.Input.Errors), "part"))
		for _, e := range r.Input.Errors {
			writeWrapped(b, "  - ", "    ", upperFirst(e.Message))
		}
	}
}

func writeSettings(b *bytes.Buffer, r *Report) {
	heading(b, "New settings")
	b.WriteString("  Use this object as the destination's \"settings\" in the gateway config:\n\n")
	pretty, err := json.MarshalIndent(r.Settings.New, "    ", "  ")
	if err != nil {
		pretty = []byte("(the settings could not be encoded: " + err.Error() + ")")
	}
	fmt.Fprintf(b, "    %s\n\n", pretty)

	t := newTable(b)
	t.row("SETTING", "CHANGE", "VALUE")
	for _, c := range r.Settings.Changes {
		t.row(c.Setting, c.Action, settingValue(c))
		t.note(c.Reason)
	}
	t.flush()
}

// settingValue shows a change as "old → new", "old" or "→ new".
func settingValue(c SettingChange) string {
	switch {
	case c.Old != "" && c.New != "" && c.Old != c.New:
		return c.Old + " → " + c.New
	case c.Old != "":
		return c.Old
	}
	return "→ " + c.New
}

func writeAttributes(b *bytes.Buffer, r *Report) {
	contacts, companies := 0, 0
	for _, a := range r.Attributes {
		if a.Model == modelContact {
			contacts++
		} else {
			companies++
		}
	}
	heading(b, fmt.Sprintf("Custom attributes (%d contact, %d company)", contacts, companies))
	if len(r.Attributes) == 0 {
		b.WriteString("  The events write no custom attribute.\n")
		return
	}
	t := newTable(b)
	t.row("MODEL", "NAME", "TYPE", "EVENTS", "EXAMPLE", "WORKSPACE")
	for _, a := range r.Attributes {
		t.row(a.Model, shortText(a.Name, 40), attributeType(a), strconv.Itoa(a.Events), a.Example, attributeState(a))
	}
	t.flush()
}

// attributeType shows the inferred type, the conflicting types joined by
// "/", or "null" when every value was null.
func attributeType(a *Attribute) string {
	if a.Type != "" {
		return a.Type
	}
	var kinds []string
	for _, t := range []string{"string", "integer", "float", "boolean", "date"} {
		if a.Types[t] > 0 {
			kinds = append(kinds, t)
		}
	}
	if len(kinds) == 0 {
		return "null"
	}
	return strings.Join(kinds, "/")
}

func attributeState(a *Attribute) string {
	switch a.Status {
	case StatusTypeDiffers:
		return "defined as " + a.WorkspaceType
	case StatusRefusedName:
		return "name rejected"
	case StatusTypeConflict:
		return "types conflict"
	}
	return a.Status
}

func writeEvents(b *bytes.Buffer, r *Report) {
	heading(b, fmt.Sprintf("Events (%d)", r.Events.Total))
	if r.Events.Total == 0 {
		b.WriteString("  The events file has no event.\n")
		return
	}
	t := newTable(b)
	t.row("TYPE", "EVENTS", "DELIVERED", "INVALID", "NOT SENT", "REJECTED", "OTHER")
	for _, c := range r.Events.ByType {
		t.row(c.Type, strconv.Itoa(c.Events), strconv.Itoa(c.Delivered), strconv.Itoa(c.Invalid),
			strconv.Itoa(c.NotSent), strconv.Itoa(c.Rejected), strconv.Itoa(c.Failed))
	}
	t.flush()
	b.WriteString("\n")
	writeWrapped(b, "  ", "  ", "DELIVERED counts the events whose dry run ended delivered: the plugin ran them against a workspace that starts empty and accepts every attribute. REJECTED means the ingestion API rejects the event; OTHER is any other outcome of the dry run.")
}

func writeFindings(b *bytes.Buffer, title string, findings []Finding) {
	heading(b, fmt.Sprintf("%s (%d)", title, len(findings)))
	if len(findings) == 0 {
		b.WriteString("  None.\n")
		return
	}
	for i, f := range findings {
		prefix := fmt.Sprintf("  %d. ", i+1)
		indent := strings.Repeat(" ", len(prefix))
		writeWrapped(b, prefix, indent, f.Subject+": "+kindLabel(f.Kind))
		writeWrapped(b, indent, indent, upperFirst(f.Message))
		if f.Count > 0 {
			writeWrapped(b, indent, indent, fmt.Sprintf("%s, for example %s", plural(f.Count, "event"), strings.Join(f.Examples, ", ")))
		}
	}
}

func writeApply(b *bytes.Buffer, a *ApplyReport) {
	heading(b, fmt.Sprintf("Apply (%d created, %d failed, %d skipped)", a.Created, a.Failed, a.Skipped))
	if len(a.Items) == 0 {
		b.WriteString("  No attribute needed creating.\n")
		return
	}
	t := newTable(b)
	t.row("RESULT", "MODEL", "NAME", "TYPE")
	for _, item := range a.Items {
		t.row(item.Result, item.Model, shortText(item.Name, 40), item.Type)
		t.note(item.Message)
	}
	t.flush()
}

func writeSummary(b *bytes.Buffer, title string, r *Report) {
	heading(b, title)
	writeWrapped(b, "  ", "  ", upperFirst(r.Summary.Verdict)+".")
	fmt.Fprintf(b, "  Blocking problems: %d. Warnings: %d. Input errors: %d.\n", r.Summary.Blocking, r.Summary.Warnings, r.Summary.InputErrors)
}

// table aligns its rows into columns. The last cell of a row is not
// padded, so long text there does not widen the other columns, and the
// notes of a row are printed under it, indented and wrapped, outside the
// columns.
type table struct {
	w    *bytes.Buffer
	rows []tableRow
}

type tableRow struct {
	cells []string
	notes []string
}

func newTable(w *bytes.Buffer) *table { return &table{w: w} }

func (t *table) row(cells ...string) { t.rows = append(t.rows, tableRow{cells: cells}) }

// note adds text under the last row.
func (t *table) note(text string) {
	if len(t.rows) > 0 && text != "" {
		last := &t.rows[len(t.rows)-1]
		last.notes = append(last.notes, text)
	}
}

func (t *table) flush() {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r.cells[:max(len(r.cells)-1, 0)] {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range t.rows {
		var line strings.Builder
		line.WriteString("  ")
		for i, c := range r.cells {
			line.WriteString(c)
			if i < len(r.cells)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		t.w.WriteString(strings.TrimRight(line.String(), " "))
		t.w.WriteString("\n")
		for _, n := range r.notes {
			writeWrapped(t.w, "      ", "      ", upperFirst(n))
		}
	}
	t.rows = nil
}

// writeWrapped writes text wrapped at textWidth: the first line after
// prefix, the others after indent.
func writeWrapped(b *bytes.Buffer, prefix, indent, text string) {
	for i, line := range wrap(text, textWidth-len([]rune(indent))) {
		if i == 0 {
			b.WriteString(prefix)
		} else {
			b.WriteString(indent)
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
}

// wrap splits text into lines of at most width runes at spaces. A word
// longer than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	var line strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		size := len([]rune(word))
		if n > 0 && n+1+size > width {
			lines = append(lines, line.String())
			line.Reset()
			n = 0
		}
		if n > 0 {
			line.WriteByte(' ')
			n++
		}
		line.WriteString(word)
		n += size
	}
	if n > 0 {
		lines = append(lines, line.String())
	}
	return lines
}

// kindLabels are the words the text report uses for each Finding kind.
var kindLabels = map[string]string{
	KindRefusedName:    "name rejected",
	KindTypeConflict:   "types conflict",
	KindUndefined:      "not defined in the workspace",
	KindTypeMismatch:   "type differs from the workspace",
	KindArchived:       "archived in the workspace",
	KindLimit:          "too many custom attributes",
	KindInvalidEvent:   "invalid",
	KindIngestRejected: "rejected by the ingestion API",
	KindDryRunFailed:   "dry run failed",
	KindSetting:        "rejected by the gateway",
	KindNotSent:        "not sent",
	KindLastRequestAt:  "no such field in API 2.10",
	KindLastSeen:       "last seen time not sent",
	KindUserCompany:    "company written separately",
	KindUserCompanies:  "companies list not attached",
	KindNestedTraits:   "nested keys renamed",
	KindMappingWarning: "mapping warning",
	KindEventFilter:    "event filter not applied",
}

func kindLabel(kind string) string {
	if label, ok := kindLabels[kind]; ok {
		return label
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// upperFirst capitalises a message printed as a sentence of its own. It
// leaves a message alone whose first word is a name or a value, such as
// "v1" or "apiKey", since capitals would change its meaning.
func upperFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	word = strings.TrimRight(word, ";:,.")
	if word == "" {
		return s
	}
	for _, r := range word {
		if !unicode.IsLower(r) {
			return s
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
