package mapping

import (
	"encoding/json"
	"testing"
)

func TestAppendQuoted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"nl\n\r\t", `"nl\n\r\t"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"bad \xff byte", "\"bad \ufffd byte\""},
		{"é😀", `"é😀"`},
	}
	for _, tt := range tests {
		got := string(appendQuoted(nil, tt.in))
		if got != tt.want {
			t.Errorf("appendQuoted(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("appendQuoted(%q) = %s is not valid JSON: %v", tt.in, got, err)
		}
	}
}

func TestCheckJSONShape(t *testing.T) {
	if err := checkJSONShape([]byte(`{"a":"[[[[[[","b":[[1]]}`), 3); err != nil {
		t.Errorf("brackets inside strings counted: %v", err)
	}
	if err := checkJSONShape([]byte(`{"a":"\"[[[["}`), 1); err != nil {
		t.Errorf("escaped quote ended the string early: %v", err)
	}
	if err := checkJSONShape([]byte(`[[[[1]]]]`), 3); err == nil {
		t.Error("depth 4 accepted with a limit of 3")
	}
	if err := checkJSONShape([]byte("{\"a\":\"\xc3\x28\"}"), 10); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

func TestExcerpt(t *testing.T) {
	if got := excerpt("{\n  \"a\": 1\n}"); got != `{"a":1}` {
		t.Errorf("excerpt did not compact: %q", got)
	}
	long := `"` + string(make([]byte, 0)) + "ééééééééééééééééééééééééééééééééééééééééééééééééééééé" + `"`
	got := excerpt(long)
	if len(got) > 60 {
		t.Errorf("excerpt length %d, want at most 60", len(got))
	}
	if !json.Valid([]byte(`"` + got[1:len(got)-3] + `"`)) {
		t.Errorf("excerpt cut a rune: %q", got)
	}
}
