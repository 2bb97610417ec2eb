package migrate

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestParseEventsFormats(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		format     string
		labels     []string
		lines      []int
		errorLines []int
	}{
		{
			name:   "NDJSON",
			data:   "{\"type\":\"identify\",\"messageId\":\"m1\"}\n\n{\"type\":\"track\"}\r\n",
			format: EventsFormatNDJSON,
			labels: []string{"m1", "line 3"},
			lines:  []int{1, 3},
		},
		{
			name:       "NDJSON with a broken line",
			data:       "{\"type\":\"identify\"}\n{\"type\":\"track\",\n{\"type\":\"group\",\"messageId\":\"g\"}\n",
			format:     EventsFormatNDJSON,
			labels:     []string{"line 1", "g"},
			lines:      []int{1, 3},
			errorLines: []int{2},
		},
		{
			name:       "NDJSON whose first line is broken",
			data:       "not json\n{\"type\":\"track\"}",
			format:     EventsFormatNDJSON,
			labels:     []string{"line 2"},
			lines:      []int{2},
			errorLines: []int{1},
		},
		{
			name:   "NDJSON of batches",
			data:   "{\"batch\":[{\"type\":\"identify\"},{\"type\":\"track\",\"messageId\":\"t\"}]}\n{\"type\":\"group\"}\n",
			format: EventsFormatNDJSON,
			labels: []string{"line 1 event 1", "t", "line 2"},
			lines:  []int{1, 1, 2},
		},
		{
			name:   "array",
			data:   "[\n  {\"type\":\"identify\"},\n  {\"type\":\"track\",\"messageId\":\"t\"},\n\n  {\"type\":\"group\"}\n]",
			format: EventsFormatArray,
			labels: []string{"event 1", "t", "event 3"},
			lines:  []int{2, 3, 5},
		},
		{
			name:   "array with a non-object",
			data:   `[{"type":"identify"}, 7]`,
			format: EventsFormatArray,
			labels: []string{"event 1", "event 2"},
			lines:  []int{1, 1},
		},
		{
			name:   "batch",
			data:   "{\"sentAt\":\"2024-01-01T00:00:00Z\",\n \"batch\": [\n {\"type\":\"identify\"},\n {\"type\":\"track\"}]}",
			format: EventsFormatBatch,
			labels: []string{"event 1", "event 2"},
			lines:  []int{3, 4},
		},
		{
			name:   "single pretty event",
			data:   "\xef\xbb\xbf{\n  \"type\": \"identify\",\n  \"messageId\": \"one\"\n}\n",
			format: EventsFormatSingle,
			labels: []string{"one"},
			lines:  []int{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseEvents([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != tt.format {
				t.Errorf("format = %q, want %q", f.Format, tt.format)
			}
			if len(f.Events) != len(tt.labels) {
				t.Fatalf("got %d events, want %d: %+v", len(f.Events), len(tt.labels), f.Events)
			}
			for i, ev := range f.Events {
				if ev.Label != tt.labels[i] {
					t.Errorf("event %d label = %q, want %q", i, ev.Label, tt.labels[i])
				}
				if ev.Line != tt.lines[i] {
					t.Errorf("event %d line = %d, want %d", i, ev.Line, tt.lines[i])
				}
				if !json.Valid(ev.Raw) {
					t.Errorf("event %d is not valid JSON: %s", i, ev.Raw)
				}
			}
			if len(f.Errors) != len(tt.errorLines) {
				t.Fatalf("errors = %+v, want lines %v", f.Errors, tt.errorLines)
			}
			for i, e := range f.Errors {
				if e.Line != tt.errorLines[i] {
					t.Errorf("error %d line = %d, want %d", i, e.Line, tt.errorLines[i])
				}
				if !strings.Contains(e.Message, "line ") || !strings.Contains(e.Message, "skipped") {
					t.Errorf("error message %q does not name the line and the skip", e.Message)
				}
			}
		})
	}
}

func TestParseEventsErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		has  string
	}{
		{"empty", "\n \n", "empty"},
		{"broken array", "[\n {\"type\":\"identify\"},\n {\"type\":\n]", "line 4"},
		{"batch not a list", `{"batch": {"type":"identify"}}`, "batch is object"},
		{"no line is JSON", "a\nb\n", "no line"},
		{"empty array", " [ ] ", "contains no event"},
		{"empty batches", "{\"batch\":[]}\n{\"batch\":[]}\n", "contains no event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvents([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.has) {
				t.Errorf("error = %v, want one containing %q", err, tt.has)
			}
		})
	}
}

func TestParseEventsTestdata(t *testing.T) {
	tests := []struct {
		file   string
		format string
		events int
		errors int
	}{
		{"events.ndjson", EventsFormatNDJSON, 15, 0},
		{"guide.json", EventsFormatArray, 3, 0},
		{"batch.json", EventsFormatBatch, 3, 0},
		{"events-broken.ndjson", EventsFormatNDJSON, 2, 1},
		{"deliverable.ndjson", EventsFormatNDJSON, 5, 0},
	}
	for _, tt := range tests {
		data, err := os.ReadFile("../testdata/migrate/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseEvents(data)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if f.Format != tt.format || len(f.Events) != tt.events || len(f.Errors) != tt.errors {
			t.Errorf("%s: format %q, %d events, %d errors; want %q, %d, %d", tt.file, f.Format, len(f.Events), len(f.Errors), tt.format, tt.events, tt.errors)
		}
	}
}
