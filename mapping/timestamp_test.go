package mapping

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestUnixSeconds(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want int64
		ok   bool
	}{
		{"iso utc with millis", `"2024-01-05T19:11:00.337Z"`, 1704481860, true},
		{"iso positive offset", `"2024-06-01T10:00:00+02:00"`, 1717228800, true},
		{"iso negative offset", `"2024-06-01T03:00:00-05:00"`, 1717228800, true},
		{"iso offset without colon", `"2024-06-01T10:00:00+0200"`, 1717228800, true},
		{"iso without offset is utc", `"2024-06-01T08:00:00"`, 1717228800, true},
		{"iso with space", `"2024-06-01 08:00:00Z"`, 1717228800, true},
		{"date only", `"2024-06-01"`, 1717200000, true},
		{"seconds number", `1717228800`, 1717228800, true},
		{"seconds with fraction rounds down", `1717228800.9`, 1717228800, true},
		{"milliseconds number", `1717228800999`, 1717228800, true},
		{"milliseconds digit string", `"1717228800999"`, 1717228800, true},
		{"seconds digit string", `"1717228800"`, 1717228800, true},
		{"just below the threshold is seconds", `99999999999`, 99999999999, true},
		{"threshold is milliseconds", `100000000000`, 100000000, true},
		{"negative seconds round down", `-1.5`, -2, true},
		{"garbage string", `"last tuesday"`, 0, false},
		{"empty string", `""`, 0, false},
		{"boolean", `true`, 0, false},
		{"object", `{"t":1}`, 0, false},
		{"absurd number", `1e300`, 0, false},
		{"lone sign", `"-"`, 0, false},
		{"lone dot", `"."`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := unixSeconds(gjson.Parse(tt.raw))
			if ok != tt.ok {
				t.Fatalf("unixSeconds(%s) ok = %v, want %v", tt.raw, ok, tt.ok)
			}
			if got != tt.want {
				t.Errorf("unixSeconds(%s) = %d, want %d", tt.raw, got, tt.want)
			}
		})
	}
}
