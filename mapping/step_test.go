package mapping_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/mapping"
)

// stepOnce runs one step and checks the contract every output must meet.
func stepOnce(t testing.TB, input string) gjson.Result {
	t.Helper()
	out := mapping.Step(nil, []byte(input))
	if !gjson.ValidBytes(out) {
		t.Fatalf("Step output is not valid JSON: %.200s", out)
	}
	if _, err := mapping.ParseStepOutput(out); err != nil {
		t.Fatalf("Step output rejected by ParseStepOutput: %v\n%.300s", err, out)
	}
	return gjson.ParseBytes(out)
}

func TestStepRejectsBadInput(t *testing.T) {
	deep := `{"event":{"type":"identify","traits":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}`
	tests := []struct {
		name, input string
		outcome     mapping.Outcome
		message     string
	}{
		{"empty input", ``, mapping.OutcomeInvalidEvent, "not valid JSON"},
		{"invalid JSON", `{"event":`, mapping.OutcomeInvalidEvent, "not valid JSON"},
		{"not an object", `[1,2]`, mapping.OutcomeInvalidEvent, "not a JSON object"},
		{"event missing", `{"settings":{}}`, mapping.OutcomeInvalidEvent, "the event is missing"},
		{"event is a string", `{"event":"identify"}`, mapping.OutcomeInvalidEvent, "not a JSON object"},
		{"deep nesting", deep, mapping.OutcomeInvalidEvent, "nests deeper than"},
		{"invalid UTF-8", "{\"event\":{\"type\":\"track\",\"event\":\"\xff\"}}", mapping.OutcomeInvalidEvent, "UTF-8"},
		{"unknown type", `{"event":{"type":"purchase"}}`, mapping.OutcomeInvalidEvent, `"purchase"`},
		{"type not a string", `{"event":{"type":7}}`, mapping.OutcomeInvalidEvent, "the number 7"},
		{"settings not an object", `{"event":{"type":"track"},"settings":[1]}`, mapping.OutcomeConfiguration, "not a JSON object"},
		{"unknown phase", `{"event":{"type":"track","userId":"u","event":"e"},"state":{"phase":"nope"},"responses":[]}`, mapping.OutcomeRetrying, "unknown phase"},
		{"too few responses", `{"event":{"type":"track","userId":"u","event":"e"},"state":{"phase":"track.send"},"responses":[]}`, mapping.OutcomeRetrying, "returned 0 responses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stepOnce(t, tt.input)
			if got := out.Get("result.outcome").String(); got != string(tt.outcome) {
				t.Errorf("outcome = %q, want %q (%s)", got, tt.outcome, out.Get("result.message"))
			}
			if msg := out.Get("result.message").String(); !strings.Contains(msg, tt.message) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.message)
			}
			if out.Get("requests").Exists() {
				t.Error("a failed step planned requests")
			}
		})
	}
}

func TestStepInputTooLarge(t *testing.T) {
	big := `{"event":{"type":"track","userId":"u","event":"e","properties":{"blob":"` + strings.Repeat("x", mapping.MaxInputSize) + `"}}}`
	out := stepOnce(t, big)
	if got := out.Get("result.outcome").String(); got != string(mapping.OutcomeInvalidEvent) {
		t.Errorf("outcome = %q, want invalid_event", got)
	}
	if msg := out.Get("result.message").String(); !strings.Contains(msg, "more than the limit") {
		t.Errorf("message = %q, want the size limit named", msg)
	}
}

func TestStepAppendsToDst(t *testing.T) {
	prefix := []byte("keep-me")
	out := mapping.Step(prefix, []byte(`{"event":{"type":"track","userId":"u","event":"e"},"now":5}`))
	if !strings.HasPrefix(string(out), "keep-me{") {
		t.Fatalf("Step did not append after dst: %.40s", out)
	}
	if !gjson.ValidBytes(out[len(prefix):]) {
		t.Errorf("appended output is not valid JSON: %s", out[len(prefix):])
	}
}

// specialKeys are keys that gjson and sjson would read as path syntax.
var specialKeys = []string{"", ".", "a.b", "*", "a*", "?", "#", "#.x", "|", "@this", "@", "\\", "a\\.b", "..", "[0]", "0", "-1", "é", "😀", " ", "\"", "x\ny", "\u2028"}

// TestKeysAreDataProperty checks, over random combinations of the keys that
// are path syntax for gjson and sjson, that every trait and property key
// reaches the Intercom body byte for byte and that metadata stays an object.
func TestKeysAreDataProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := 0; round < 300; round++ {
		keys := randomKeys(rng)
		var props strings.Builder
		props.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				props.WriteByte(',')
			}
			fmt.Fprintf(&props, "%s:%d", quoteJSON(k), i)
		}
		props.WriteByte('}')

		track := stepOnce(t, `{"event":{"type":"track","userId":"u","event":"e","timestamp":1,"properties":`+props.String()+`},"now":5}`)
		metadata := track.Get("requests.0.body.metadata")
		if !metadata.IsObject() {
			t.Fatalf("round %d: metadata is not an object: %s (keys %q)", round, metadata.Raw, keys)
		}
		checkKeys(t, "metadata", metadata, keys)

		identify := stepOnce(t, `{"event":{"type":"identify","userId":"u","traits":`+props.String()+`}}`)
		search := identify.Get("state.phase").String()
		if search != "identify.search" {
			t.Fatalf("round %d: identify phase = %q: %s", round, search, identify.Raw)
		}
		write := mapping.Step(nil, []byte(`{"event":{"type":"identify","userId":"u","traits":`+props.String()+`},"state":{"phase":"identify.search"},"responses":[{"status":200,"body":{"type":"list","data":[]}}]}`))
		attrs := gjson.GetBytes(write, "requests.0.body.custom_attributes")
		checkKeys(t, "custom_attributes", attrs, keys)
	}
}

func randomKeys(rng *rand.Rand) []string {
	n := 1 + rng.Intn(6)
	seen := map[string]bool{}
	var keys []string
	for len(keys) < n {
		k := specialKeys[rng.Intn(len(specialKeys))]
		if rng.Intn(3) == 0 {
			k += specialKeys[rng.Intn(len(specialKeys))]
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

func checkKeys(t *testing.T, what string, obj gjson.Result, keys []string) {
	t.Helper()
	var got []string
	obj.ForEach(func(k, _ gjson.Result) bool {
		got = append(got, k.String())
		return true
	})
	if len(got) != len(keys) {
		t.Fatalf("%s keys = %q, want %q", what, got, keys)
	}
	for i := range keys {
		if got[i] != keys[i] {
			t.Errorf("%s key %d = %q, want %q", what, i, got[i], keys[i])
		}
	}
}

func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name, in    string
		region      string
		anonymous   bool
		policy      string
		warnings    int
		errContains string
	}{
		{"defaults", ``, "us", false, "reject", 0, ""},
		{"standard", `{"apiServer":"standard"}`, "us", false, "reject", 0, ""},
		{"eu upper case", `{"apiServer":"EU"}`, "eu", false, "reject", 0, ""},
		{"au", `{"apiServer":"au","apiVersion":"latest"}`, "au", false, "reject", 0, ""},
		{"string boolean", `{"sendAnonymousId":"true"}`, "us", true, "reject", 0, ""},
		{"policy drop", `{"customAttributePolicy":"drop"}`, "us", false, "drop", 0, ""},
		{"update last request at", `{"updateLastRequestAt":true}`, "us", false, "reject", 1, ""},
		{"unknown region", `{"apiServer":"mars"}`, "", false, "", 0, `apiServer "mars"`},
		{"region not a string", `{"apiServer":1}`, "", false, "", 0, "the number 1"},
		{"api v1", `{"apiVersion":"v1"}`, "", false, "", 0, "migrate check"},
		{"api unknown", `{"apiVersion":"v9"}`, "", false, "", 0, `apiVersion "v9"`},
		{"bad boolean", `{"sendAnonymousId":"maybe"}`, "", false, "", 0, "sendAnonymousId"},
		{"bad policy", `{"customAttributePolicy":"ignore"}`, "", false, "", 0, "reject, drop, create"},
		{"not an object", `"us"`, "", false, "", 0, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mapping.ParseSettings([]byte(tt.in))
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("ParseSettings(%s) error = %v, want it to contain %q", tt.in, err, tt.errContains)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSettings(%s): %v", tt.in, err)
			}
			if s.Region != tt.region {
				t.Errorf("Region = %q, want %q", s.Region, tt.region)
			}
			if s.SendAnonymousID != tt.anonymous {
				t.Errorf("SendAnonymousID = %v, want %v", s.SendAnonymousID, tt.anonymous)
			}
			if s.AttributePolicy != tt.policy {
				t.Errorf("AttributePolicy = %q, want %q", s.AttributePolicy, tt.policy)
			}
			if len(s.Warnings) != tt.warnings {
				t.Errorf("Warnings = %q, want %d", s.Warnings, tt.warnings)
			}
		})
	}
}

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		status int
		want   mapping.Outcome
	}{
		{200, mapping.OutcomeDelivered}, {202, mapping.OutcomeDelivered},
		{0, mapping.OutcomeRetrying}, {408, mapping.OutcomeRetrying}, {409, mapping.OutcomeRetrying},
		{429, mapping.OutcomeRetrying}, {500, mapping.OutcomeRetrying}, {503, mapping.OutcomeRetrying},
		{400, mapping.OutcomeRejected}, {404, mapping.OutcomeRejected}, {422, mapping.OutcomeRejected},
		{401, mapping.OutcomeConfiguration}, {403, mapping.OutcomeConfiguration},
		{406, mapping.OutcomeConfiguration}, {415, mapping.OutcomeConfiguration},
		{302, mapping.OutcomeRetrying},
	}
	for _, tt := range tests {
		if got := mapping.ClassifyStatus(tt.status); got != tt.want {
			t.Errorf("ClassifyStatus(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestParseStepOutputRejects(t *testing.T) {
	tests := []struct{ name, out, want string }{
		{"not JSON", `{"requests":`, "not valid JSON"},
		{"array", `[]`, "not a JSON object"},
		{"neither", `{"x":1}`, "neither a result nor"},
		{"empty requests", `{"requests":[],"state":{}}`, "empty requests"},
		{"no state", `{"requests":[{"method":"GET","path":"/companies?name=a"}]}`, "state"},
		{"bad method", `{"requests":[{"method":"PATCH","path":"/contacts"}],"state":{}}`, "PATCH"},
		{"path not a string", `{"requests":[{"method":"GET","path":1}],"state":{}}`, "string method or path"},
		{"body not an object", `{"requests":[{"method":"POST","path":"/events","body":[1]}],"state":{}}`, "not a JSON object"},
		{"unknown outcome", `{"result":{"outcome":"great"}}`, "not a known outcome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapping.ParseStepOutput([]byte(tt.out))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseStepOutput(%s) error = %v, want it to contain %q", tt.out, err, tt.want)
			}
		})
	}

	many := `{"requests":[` + strings.Repeat(`{"method":"POST","path":"/tags"},`, mapping.MaxRequestsPerStep) + `{"method":"POST","path":"/tags"}],"state":{}}`
	if _, err := mapping.ParseStepOutput([]byte(many)); err == nil {
		t.Errorf("ParseStepOutput accepted %d requests in one step", mapping.MaxRequestsPerStep+1)
	}
}

func TestAppendStepInputResponses(t *testing.T) {
	in := mapping.AppendStepInput(nil, []byte(`{"type":"track"}`), []byte(`{}`), 9, []byte(`{"phase":"p"}`), []mapping.Response{
		{Status: 200, Body: []byte(`{"id":"a"}`)},
		{Status: 502, Body: []byte(`<html>bad gateway</html>`)},
		{Status: 0, Error: "connection refused"},
		{Status: 202},
	})
	if !gjson.ValidBytes(in) {
		t.Fatalf("step input is not valid JSON: %s", in)
	}
	r := gjson.ParseBytes(in)
	if got := r.Get("responses.0.body.id").String(); got != "a" {
		t.Errorf("JSON body not embedded: %s", r.Get("responses.0").Raw)
	}
	if got := r.Get("responses.1.error").String(); !strings.Contains(got, "not JSON") || r.Get("responses.1.body").Exists() {
		t.Errorf("HTML body not turned into an error: %s", r.Get("responses.1").Raw)
	}
	if got := r.Get("responses.2.error").String(); got != "connection refused" {
		t.Errorf("transport error = %q", got)
	}
	if r.Get("responses.3.body").Exists() {
		t.Errorf("empty body should be absent: %s", r.Get("responses.3").Raw)
	}
}

func TestExchangeLimits(t *testing.T) {
	loop := func(dst, _ []byte) ([]byte, error) {
		return append(dst, `{"requests":[{"method":"POST","path":"/events","body":{}}],"state":{"phase":"again"}}`...), nil
	}
	ok := func(_ context.Context, reqs []mapping.Request) []mapping.Response {
		return make([]mapping.Response, len(reqs))
	}
	res := mapping.Exchange{Step: loop, Send: ok, MaxSteps: 3}.Run(context.Background(), []byte(`{}`), nil, 0)
	if res.Outcome != mapping.OutcomeRetrying || !strings.Contains(res.Message, "more than 3 steps") {
		t.Errorf("endless plugin: outcome %q message %q", res.Outcome, res.Message)
	}
	if res.Steps != 3 || len(res.Calls) != 3 {
		t.Errorf("endless plugin: %d steps and %d calls, want 3 and 3", res.Steps, len(res.Calls))
	}

	failing := func(dst, _ []byte) ([]byte, error) { return dst, fmt.Errorf("wasm trap") }
	res = mapping.Exchange{Step: failing, Send: ok}.Run(context.Background(), []byte(`{}`), nil, 0)
	if res.Outcome != mapping.OutcomeRetrying || !strings.Contains(res.Message, "wasm trap") {
		t.Errorf("failing step: outcome %q message %q", res.Outcome, res.Message)
	}

	garbage := func(dst, _ []byte) ([]byte, error) { return append(dst, "not json"...), nil }
	res = mapping.Exchange{Step: garbage, Send: ok}.Run(context.Background(), []byte(`{}`), nil, 0)
	if res.Outcome != mapping.OutcomeRetrying || !strings.Contains(res.Message, "invalid output") {
		t.Errorf("garbage step: outcome %q message %q", res.Outcome, res.Message)
	}

	short := func(_ context.Context, _ []mapping.Request) []mapping.Response { return nil }
	res = mapping.Exchange{Step: mapping.NativeStep, Send: short}.Run(context.Background(), []byte(`{"type":"track","userId":"u","event":"e"}`), nil, 1)
	if res.Outcome != mapping.OutcomeRetrying || !strings.Contains(res.Message, "0 responses for 1 requests") {
		t.Errorf("short sender: outcome %q message %q", res.Outcome, res.Message)
	}

	res = mapping.Exchange{Step: mapping.NativeStep, Send: ok}.Run(context.Background(), []byte(`{"type":`), nil, 1)
	if res.Outcome != mapping.OutcomeInvalidEvent {
		t.Errorf("invalid event JSON: outcome %q", res.Outcome)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = mapping.Exchange{Step: mapping.NativeStep, Send: ok}.Run(ctx, []byte(`{"type":"track"}`), nil, 1)
	if res.Outcome != mapping.OutcomeRetrying || !strings.Contains(res.Message, "cancelled") {
		t.Errorf("cancelled context: outcome %q message %q", res.Outcome, res.Message)
	}
}
