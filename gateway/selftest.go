package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/intercom-gateway/gateway/mapping"
)

// vector is one self-test case: an event, settings and the Intercom
// responses given to its calls in order. A plugin's outputs on the vectors are its
// fingerprint: a new plugin must produce the same outputs as the plugin in
// use, or the operator must accept the differences.
type vector struct {
	Name     string             `json:"name"`
	Event    json.RawMessage    `json:"event"`
	Settings json.RawMessage    `json:"settings"`
	Now      int64              `json:"now"`
	Answers  []mapping.Response `json:"answers"`
}

// builtinVectors cover the three event types and their main branches, so a
// self-test runs even where no vector folder is configured.
func builtinVectors() []vector {
	list := func(items string) json.RawMessage { return json.RawMessage(`{"type":"list","data":[` + items + `]}`) }
	contact := json.RawMessage(`{"type":"contact","id":"c-1","external_id":"u-1"}`)
	company := json.RawMessage(`{"type":"company","id":"co-1","company_id":"g-1"}`)
	return []vector{
		{Name: "identify creates", Now: 1733337600,
			Event:   json.RawMessage(`{"type":"identify","userId":"u-1","traits":{"email":"a@example.com","name":"Ada","address":{"city":"Lyon"},"plan":"pro","company":{"id":"g-1","name":"Acme"}}}`),
			Answers: []mapping.Response{{Status: 200, Body: list("")}, {Status: 200, Body: contact}, {Status: 200, Body: company}, {Status: 200, Body: company}}},
		{Name: "identify recovers a conflict", Now: 1733337600,
			Event: json.RawMessage(`{"type":"identify","userId":"u-2","traits":{"email":"b@example.com"},"integrations":{"INTERCOM":{"lookup":"email"}}}`),
			Answers: []mapping.Response{{Status: 200, Body: list("")},
				{Status: 409, Body: json.RawMessage(`{"type":"error.list","errors":[{"code":"conflict","message":"An archived contact matching those details already exists with id=c-9"}]}`)},
				{Status: 200, Body: contact}, {Status: 200, Body: contact}}},
		{Name: "track", Now: 1733337600,
			Event:   json.RawMessage(`{"type":"track","userId":"u-1","event":"Order Completed","timestamp":"2024-03-10T08:30:15Z","properties":{"price":{"amount":100,"currency":"eur"},"items":["a"],"a.b":1}}`),
			Answers: []mapping.Response{{Status: 202}}},
		{Name: "group", Now: 1733337600,
			Event:   json.RawMessage(`{"type":"group","userId":"u-1","groupId":"g-1","traits":{"name":"Acme","size":3,"tags":["vip"],"region":"emea"}}`),
			Answers: []mapping.Response{{Status: 200, Body: list(string(contact))}, {Status: 200, Body: company}, {Status: 200, Body: company}, {Status: 200, Body: json.RawMessage(`{"type":"tag","id":"t-1","name":"vip"}`)}}},
		{Name: "invalid event", Now: 1733337600, Event: json.RawMessage(`{"type":"identify","traits":{"name":"nobody"}}`)},
	}
}

// loadVectors reads golden cases (event, settings, now and the scripted
// responses in "answers") from dir.
func loadVectors(dir string) ([]vector, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []vector
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read self-test vector %s: %w", f, err)
		}
		var v vector
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("self-test vector %s is not a golden case: %w", f, err)
		}
		if v.Name == "" {
			v.Name = filepath.Base(f)
		}
		out = append(out, v)
	}
	return out, nil
}

// fingerprint runs every vector through step and returns, per vector, the
// concatenated step outputs. Calls past the scripted responses get status 0,
// the same for every plugin, so outputs stay comparable.
func fingerprint(ctx context.Context, step mapping.StepFunc, vectors []vector) [][]byte {
	out := make([][]byte, len(vectors))
	for i, v := range vectors {
		var record bytes.Buffer
		next := 0
		recording := func(dst, input []byte) ([]byte, error) {
			res, err := step(dst, input)
			if err != nil {
				fmt.Fprintf(&record, "error: %v\n", err)
				return res, err
			}
			record.Write(res[len(dst):])
			record.WriteByte('\n')
			return res, nil
		}
		send := func(_ context.Context, reqs []mapping.Request) []mapping.Response {
			resp := make([]mapping.Response, len(reqs))
			for j := range reqs {
				if next < len(v.Answers) {
					resp[j] = v.Answers[next]
				} else {
					resp[j] = mapping.Response{Error: "no scripted response"}
				}
				next++
			}
			return resp
		}
		settings := v.Settings
		if len(settings) == 0 {
			settings = json.RawMessage(`{}`)
		}
		mapping.Exchange{Step: recording, Send: send}.Run(ctx, v.Event, settings, v.Now)
		out[i] = record.Bytes()
	}
	return out
}

// differences lists the vectors whose outputs differ, with both outputs
// shortened.
func differences(vectors []vector, old, new [][]byte) []string {
	var diffs []string
	for i := range vectors {
		if i < len(old) && i < len(new) && bytes.Equal(old[i], new[i]) {
			continue
		}
		var before, after string
		if i < len(old) {
			before = shorten(string(old[i]), 300)
		}
		if i < len(new) {
			after = shorten(string(new[i]), 300)
		}
		diffs = append(diffs, fmt.Sprintf("%s: the plugin in use output %q, the new plugin outputs %q", vectors[i].Name, before, after))
	}
	return diffs
}

func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
