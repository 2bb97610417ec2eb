package migrate

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestConfirmAnswers(t *testing.T) {
	tests := []struct {
		input string
		want  bool
	}{
		{"y\n", true},
		{"yes\n", true},
		{" YES \r\n", true},
		{"Y", true},
		{"n\n", false},
		{"\n", false},
		{"", false},
		{"yes please\n", false},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		got, err := Confirm(strings.NewReader(tt.input), &out, "Create them?")
		if err != nil {
			t.Fatalf("%q: %v", tt.input, err)
		}
		if got != tt.want {
			t.Errorf("answer %q = %v, want %v", tt.input, got, tt.want)
		}
		if out.String() != "Create them? [y/N] " {
			t.Errorf("prompt = %q", out.String())
		}
	}
}

func TestIsTerminalDevNull(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// /dev/null is a character device but not a terminal; a check of the
	// file mode alone would take it for one and block on a read.
	if IsTerminal(f) {
		t.Errorf("IsTerminal(%s) = true", os.DevNull)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		text  string
		width int
		want  []string
	}{
		{"", 10, nil},
		{"one two three", 7, []string{"one two", "three"}},
		{"averyveryverylongword and more", 8, []string{"averyveryverylongword", "and more"}},
		{"  spaced   out  ", 20, []string{"spaced out"}},
		{"größe ändert", 5, []string{"größe", "ändert"}},
	}
	for _, tt := range tests {
		got := wrap(tt.text, tt.width)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.text, tt.width, got, tt.want)
		}
	}
}

func TestShortText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"a line\nbreak", 20, "a line break"},
		{"ééééééé", 4, "ééé…"},
	}
	for _, tt := range tests {
		if got := shortText(tt.in, tt.max); got != tt.want {
			t.Errorf("shortText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestUpperFirst(t *testing.T) {
	tests := []struct{ in, want string }{
		{"the name contains", "The name contains"},
		{"missing; set it", "Missing; set it"},
		{"v1 selects API 1.4", "v1 selects API 1.4"},
		{"apiKey is kept", "apiKey is kept"},
		{"API 2.10 has", "API 2.10 has"},
		{"élan", "Élan"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := upperFirst(tt.in); got != tt.want {
			t.Errorf("upperFirst(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
