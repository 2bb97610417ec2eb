package host

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

// exchangeCase is one case file in the golden format of testdata/golden:
// an event, settings, the host time and the scripted Intercom answers, the
// i-th answer going to the i-th request.
type exchangeCase struct {
	Name     string          `json:"name"`
	Event    json.RawMessage `json:"event"`
	Settings json.RawMessage `json:"settings"`
	Now      int64           `json:"now"`
	Answers  []scriptAnswer  `json:"answers"`
	file     string
}

// scriptAnswer answers the request at the same position.
type scriptAnswer struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// loadCases reads every *.json file of dir as an exchangeCase, sorted by
// file name. A missing directory yields no cases.
func loadCases(t testing.TB, dir string) []exchangeCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var cases []exchangeCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c exchangeCase
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s is not a case file: %v", f, err)
		}
		c.file = filepath.Base(f)
		if c.Name == "" {
			c.Name = c.file
		}
		cases = append(cases, c)
	}
	return cases
}

// script is a SendFunc that answers from a case's scripted answers in
// order. A request beyond the script gets a status 0 answer.
type script struct {
	mu      sync.Mutex
	answers []scriptAnswer
	next    int
	// mismatches records requests whose method or path differ from the
	// answer's.
	mismatches []string
}

func (s *script) send(_ context.Context, requests []mapping.Request) []mapping.Response {
	out := make([]mapping.Response, len(requests))
	for i, r := range requests {
		out[i] = s.answer(r)
	}
	return out
}

func (s *script) answer(r mapping.Request) mapping.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next >= len(s.answers) {
		s.next++
		return mapping.Response{Error: "no scripted answer"}
	}
	a := s.answers[s.next]
	s.next++
	if a.Method != r.Method || a.Path != r.Path {
		s.mismatches = append(s.mismatches, r.Method+" "+r.Path+" answered as "+a.Method+" "+a.Path)
	}
	return mapping.Response{Status: a.Status, Body: a.Body, Error: a.Error}
}

// recorder wraps a StepFunc and keeps a copy of every input and output.
type recorder struct {
	step            mapping.StepFunc
	inputs, outputs [][]byte
}

func (r *recorder) run(dst, input []byte) ([]byte, error) {
	out, err := r.step(dst, input)
	r.inputs = append(r.inputs, append([]byte(nil), input...))
	r.outputs = append(r.outputs, append([]byte(nil), out[len(dst):]...))
	return out, err
}

// runCase runs c through step with its scripted answers and returns the
// result and the recorded steps.
func runCase(c exchangeCase, step mapping.StepFunc) (mapping.Result, *recorder, *script) {
	rec := &recorder{step: step}
	sc := &script{answers: c.Answers}
	x := mapping.Exchange{Step: rec.run, Send: sc.send}
	res := x.Run(context.Background(), c.Event, c.Settings, c.Now)
	return res, rec, sc
}
