package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"
)

// Formats of an events file, as reported in Report.Input.
const (
	EventsFormatNDJSON = "NDJSON"
	EventsFormatArray  = "JSON array"
	EventsFormatBatch  = `{"batch": [...]} object`
	EventsFormatSingle = "single event"
)

// maxEventsBytes bounds an events file. A sample of a few thousand events
// is enough to find every attribute a tracking plan uses.
const maxEventsBytes = 64 << 20

// SampleEvent is one event of the events file, before ingestion checks.
type SampleEvent struct {
	// Label identifies the event in the report: its messageId, else its
	// position, such as "line 7" or "event 3".
	Label string
	// Line is the 1-based line where the event starts.
	Line int
	// Raw is the event's JSON as written in the file.
	Raw []byte
}

// InputError is a part of the events file that could not be read. The
// rest of the file is still analysed.
type InputError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// EventsFile is an events file as read by ParseEvents.
type EventsFile struct {
	// Format is one of the EventsFormat constants.
	Format string
	Events []SampleEvent
	Errors []InputError
}

// ParseEvents detects the format of an events file and splits it into
// events. It accepts NDJSON (one event or one batch object per line), a
// JSON array of events, a {"batch": [...]} object as RudderStack and
// Segment SDKs send it, and a single event object.
//
// A broken NDJSON line becomes an InputError with its line number and the
// other lines are still read. The error is for a file that cannot be read
// at all: empty, too large, without any event, or a JSON array or batch
// that is not valid JSON, since its events cannot be separated.
func ParseEvents(data []byte) (EventsFile, error) {
	f, err := parseEventsFile(data)
	if err == nil && len(f.Events) == 0 && len(f.Errors) == 0 {
		err = fmt.Errorf("the events file (%s) contains no event; give a sample of real events", f.Format)
	}
	return f, err
}

func parseEventsFile(data []byte) (EventsFile, error) {
	if len(data) > maxEventsBytes {
		return EventsFile{}, fmt.Errorf("the events file is %d bytes, more than the limit of %d; take a smaller sample", len(data), maxEventsBytes)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	start := skipSpace(data, 0)
	if start == len(data) {
		return EventsFile{}, errors.New("the events file is empty; give a sample of real events as NDJSON, a JSON array or a {\"batch\": [...]} object")
	}

	switch {
	case data[start] == '[':
		if !json.Valid(data) {
			return EventsFile{}, fmt.Errorf("the events file starts with [ but is not a valid JSON array (%s); fix it or write one event per line (NDJSON)", describeSyntaxError(data))
		}
		f := EventsFile{Format: EventsFormatArray}
		err := f.addArray(data, start, 0, "event ")
		return f, err
	case data[start] == '{' && json.Valid(data):
		return parseObjectFile(data, start)
	}
	return parseNDJSON(data)
}

// parseObjectFile reads a file that is one JSON object: a batch or a
// single event.
func parseObjectFile(data []byte, start int) (EventsFile, error) {
	batch := gjson.GetBytes(data, "batch")
	if !batch.Exists() {
		f := EventsFile{Format: EventsFormatSingle}
		f.addEvent(bytes.TrimSpace(data), lineOf(data, start), "event 1")
		return f, nil
	}
	if !batch.IsArray() {
		return EventsFile{}, fmt.Errorf("the events file is an object whose batch is %s, not an array; send {\"batch\": [...]}", jsonKind([]byte(batch.Raw)))
	}
	f := EventsFile{Format: EventsFormatBatch}
	err := f.addArray(data, batch.Index, 0, "event ")
	return f, err
}

// parseNDJSON reads one event, or one batch object, per line.
func parseNDJSON(data []byte) (EventsFile, error) {
	f := EventsFile{Format: EventsFormatNDJSON}
	line := 0
	for rest := data; len(rest) > 0; {
		line++
		text := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			text, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		if !json.Valid(text) {
			f.Errors = append(f.Errors, InputError{Line: line, Message: fmt.Sprintf("line %d is not valid JSON (%s); the line was skipped", line, describeLineError(text))})
			continue
		}
		label := "line " + strconv.Itoa(line)
		if batch := gjson.GetBytes(text, "batch"); text[0] == '{' && batch.IsArray() {
			if err := f.addArray(text, batch.Index, line-1, label+" event "); err != nil {
				f.Errors = append(f.Errors, InputError{Line: line, Message: err.Error()})
			}
			continue
		}
		f.addEvent(text, line, label)
	}
	if len(f.Events) == 0 && len(f.Errors) > 0 {
		return f, fmt.Errorf("no line of the events file is valid JSON (%s); give NDJSON, a JSON array or a {\"batch\": [...]} object", f.Errors[0].Message)
	}
	return f, nil
}

// addArray adds the elements of the JSON array at data[offset:].
// lineBase is added to line numbers, for an array inside an NDJSON line.
// prefix starts the label of an element without a messageId.
func (f *EventsFile) addArray(data []byte, offset, lineBase int, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(data[offset:]))
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("read the event list: %w", err)
	}
	for n := 1; dec.More(); n++ {
		at := skipSeparators(data, offset+int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("read event %d of the list: %w", n, err)
		}
		f.addEvent(raw, lineBase+lineOf(data, at), prefix+strconv.Itoa(n))
	}
	return nil
}

// addEvent records one event, labelled by its messageId when it has one.
func (f *EventsFile) addEvent(raw []byte, line int, fallback string) {
	label := fallback
	if id := gjson.GetBytes(raw, "messageId"); id.Type == gjson.String && id.Str != "" {
		label = id.Str
	}
	f.Events = append(f.Events, SampleEvent{Label: label, Line: line, Raw: raw})
}

// describeLineError locates the syntax error of one line as "column C:
// message".
func describeLineError(line []byte) string {
	var v any
	err := json.Unmarshal(line, &v)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Sprintf("column %d: %s", syntax.Offset, syntax.Error())
	}
	if err != nil {
		return err.Error()
	}
	return "no error"
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// skipSeparators skips the white space and the comma before an element.
func skipSeparators(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n' || data[i] == ',') {
		i++
	}
	return i
}

func lineOf(data []byte, offset int) int {
	line, _ := lineColumn(data, int64(offset))
	return line
}
