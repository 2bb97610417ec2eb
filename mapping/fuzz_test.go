package mapping_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/mapping"
)

// checkStepOutput asserts the contract of any Step output: a valid JSON
// object within the size limit that ParseStepOutput accepts, whose planned
// paths are relative and whose metadata and custom attributes are objects.
func checkStepOutput(t *testing.T, out []byte) {
	t.Helper()
	if len(out) > mapping.MaxOutputSize {
		t.Fatalf("output is %d bytes, over MaxOutputSize", len(out))
	}
	parsed, err := mapping.ParseStepOutput(out)
	if err != nil {
		t.Fatalf("invalid output: %v\n%.400s", err, out)
	}
	for _, r := range parsed.Requests {
		if len(r.Path) == 0 || r.Path[0] != '/' || (len(r.Path) > 1 && r.Path[1] == '/') {
			t.Fatalf("request path %q is not relative to the API root", r.Path)
		}
		for _, field := range []string{"metadata", "custom_attributes"} {
			if v := gjson.GetBytes(r.Body, field); v.Exists() && !v.IsObject() {
				t.Fatalf("%s in %s %s is %s, not an object", field, r.Method, r.Path, v.Raw)
			}
		}
	}
}

// addGoldenSeeds adds every golden event to a fuzz corpus.
func addGoldenSeeds(f *testing.F, add func(event []byte)) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "golden", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		add([]byte(gjson.GetBytes(data, "event").Raw))
	}
}

// FuzzStep feeds arbitrary bytes to Step as the whole step input.
func FuzzStep(f *testing.F) {
	f.Add([]byte(`{"event":{"type":"identify","userId":"u","traits":{"email":"a@b.c"}}}`))
	f.Add([]byte(`{"event":{"type":"track","userId":"u","event":"e"},"state":{"phase":"track.send"},"responses":[{"status":404}]}`))
	f.Add([]byte(`{"event":{"type":"group","groupId":"g","userId":"u"},"state":{"phase":"group.upsert","searched":"true"},"responses":[{"status":200,"body":{"data":[{"id":"c"}]}},{"status":200,"body":{"id":"co"}}]}`))
	f.Add([]byte(`{"event":{"type":"identify","userId":"u"},"state":{"phase":"identify.write"},"responses":[{"status":409,"body":{"errors":[{"message":"An archived contact matching those details already exists with id=abc"}]}}]}`))
	addGoldenSeeds(f, func(event []byte) {
		f.Add(append(append([]byte(`{"now":1,"event":`), event...), '}'))
	})
	f.Fuzz(func(t *testing.T, input []byte) {
		checkStepOutput(t, mapping.Step(nil, input))
	})
}

// FuzzEvent runs a whole exchange for an arbitrary event, answering every
// request with a plausible success, so the fuzzer reaches the later steps.
func FuzzEvent(f *testing.F) {
	addGoldenSeeds(f, func(event []byte) { f.Add(event, []byte(`{}`)) })
	f.Add([]byte(`{"type":"group","groupId":"g","traits":{"tags":["a","b"]}}`), []byte(`{"sendAnonymousId":true}`))
	f.Fuzz(func(t *testing.T, event, settings []byte) {
		step := func(dst, input []byte) ([]byte, error) {
			out := mapping.Step(dst, input)
			checkStepOutput(t, out[len(dst):])
			return out, nil
		}
		x := mapping.Exchange{Step: step, Send: answerAll}
		res := x.Run(t.Context(), event, settings, 1733337600)
		if res.Outcome == "" {
			t.Fatal("exchange ended without an outcome")
		}
	})
}
