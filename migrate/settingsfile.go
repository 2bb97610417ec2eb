package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Formats of a settings file, as reported in Report.Input.
const (
	// SettingsFormatExport is a RudderStack destination export:
	// {"id": ..., "name": ..., "config": {...}, "destinationDefinition": {...}}.
	SettingsFormatExport = "RudderStack destination export"
	// SettingsFormatConfig is the bare config object of a destination.
	SettingsFormatConfig = "destination config object"
)

// maxSettingsBytes bounds a settings file. A RudderStack export of one
// destination is a few kilobytes.
const maxSettingsBytes = 1 << 20

// OldSettings is a settings file as read by ParseSettings.
type OldSettings struct {
	// Format is SettingsFormatExport or SettingsFormatConfig.
	Format string
	// DestinationID and DestinationName come from an export. Both are
	// empty for a bare config object.
	DestinationID   string
	DestinationName string
	// Config maps each setting to its raw JSON value.
	Config map[string]json.RawMessage
}

// ParseSettings reads the old destination settings: a RudderStack
// destination export, a JSON array of exports that contains exactly one
// Intercom destination, or the bare config object. The error names what is
// wrong with the file and what to export instead.
func ParseSettings(data []byte) (OldSettings, error) {
	var old OldSettings
	if len(data) > maxSettingsBytes {
		return old, fmt.Errorf("the settings file is %d bytes, more than the limit of %d; export a single destination", len(data), maxSettingsBytes)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return old, errors.New("the settings file is empty; export the Intercom destination from RudderStack or paste its config object")
	}
	if !json.Valid(trimmed) {
		return old, fmt.Errorf("the settings file is not valid JSON (%s); export the Intercom destination from RudderStack or paste its config object", describeSyntaxError(trimmed))
	}

	switch trimmed[0] {
	case '[':
		return parseExportList(trimmed)
	case '{':
		return parseSettingsObject(trimmed)
	}
	return old, fmt.Errorf("the settings file is a JSON %s, not an object; export the Intercom destination from RudderStack or paste its config object", jsonKind(trimmed))
}

// parseExportList picks the one Intercom destination of an array of
// exports, as a workspace export lists them.
func parseExportList(data []byte) (OldSettings, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return OldSettings{}, fmt.Errorf("the settings file is not a JSON array of destinations: %w", err)
	}
	var found []OldSettings
	for i, item := range items {
		if len(item) == 0 || item[0] != '{' {
			continue
		}
		old, err := parseSettingsObject(item)
		if err != nil {
			var other *otherDestinationError
			if errors.As(err, &other) {
				continue
			}
			return OldSettings{}, fmt.Errorf("destination %d of the settings file: %w", i+1, err)
		}
		if old.Format == SettingsFormatExport {
			found = append(found, old)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return OldSettings{}, fmt.Errorf("the settings file lists %d entries but no Intercom destination export; export the Intercom destination alone", len(items))
	}
	return OldSettings{}, fmt.Errorf("the settings file lists %d Intercom destinations; export the one to migrate alone", len(found))
}

// otherDestinationError reports an export of another destination type.
type otherDestinationError struct{ definition string }

func (e *otherDestinationError) Error() string {
	return fmt.Sprintf("the export is of a %q destination, not INTERCOM; export the Intercom destination", e.definition)
}

// parseSettingsObject reads one object: an export when it has a "config"
// object, else the config itself.
func parseSettingsObject(data []byte) (OldSettings, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return OldSettings{}, fmt.Errorf("the settings file is not a JSON object: %w", err)
	}
	config, isExport := top["config"]
	if !isExport {
		return OldSettings{Format: SettingsFormatConfig, Config: top}, nil
	}
	if jsonKind(config) != "object" {
		return OldSettings{}, fmt.Errorf("the export's config is a JSON %s, not an object; export the destination again", jsonKind(config))
	}

	var export struct {
		ID         json.RawMessage            `json:"id"`
		Name       json.RawMessage            `json:"name"`
		Config     map[string]json.RawMessage `json:"config"`
		Definition json.RawMessage            `json:"destinationDefinition"`
	}
	if err := json.Unmarshal(data, &export); err != nil {
		return OldSettings{}, fmt.Errorf("the settings file is not a RudderStack destination export: %w", err)
	}
	if def := definitionName(export.Definition); def != "" && !strings.EqualFold(def, "INTERCOM") {
		return OldSettings{}, &otherDestinationError{definition: def}
	}
	if export.Config == nil {
		export.Config = map[string]json.RawMessage{}
	}
	return OldSettings{
		Format:          SettingsFormatExport,
		DestinationID:   jsonText(export.ID),
		DestinationName: jsonText(export.Name),
		Config:          export.Config,
	}, nil
}

// definitionName reads destinationDefinition.name, which is "INTERCOM" for
// an Intercom destination, with displayName as the fallback.
func definitionName(raw json.RawMessage) string {
	var def struct {
		Name        json.RawMessage `json:"name"`
		DisplayName json.RawMessage `json:"displayName"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &def) != nil {
		return ""
	}
	if name := jsonText(def.Name); name != "" {
		return name
	}
	return jsonText(def.DisplayName)
}

// jsonText returns a JSON string's value, a number's text, or "".
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// jsonKind names the kind of a valid JSON value: object, array, string,
// number, boolean or null.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

var utf8BOM = []byte("\xef\xbb\xbf")

// describeSyntaxError locates the first JSON syntax error of data as
// "line L, column C: message".
func describeSyntaxError(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		if err == nil {
			return "no error"
		}
		return err.Error()
	}
	line, column := lineColumn(data, syntax.Offset)
	return fmt.Sprintf("line %d, column %d: %s", line, column, syntax.Error())
}

// lineColumn converts a byte offset to a 1-based line and column.
func lineColumn(data []byte, offset int64) (line, column int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	column = len(before) - bytes.LastIndexByte(before, '\n')
	return line, column
}
