package host

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

var (
	fuzzOnce   sync.Once
	fuzzPlugin *Plugin
)

// FuzzPluginMatchesNative feeds one step input to mapping.Step and to the
// plugin built from ./plugin and requires identical output. go test -fuzz
// does not run on wasip1, so this is how the compiled mapping is fuzzed.
// The seeds in testdata/fuzz/FuzzPluginMatchesNative are step inputs of
// each event type, first and later steps.
//
//	go test ./host -run '^$' -fuzz FuzzPluginMatchesNative -fuzztime 60s
func FuzzPluginMatchesNative(f *testing.F) {
	for _, c := range inlineCases {
		_, rec, _ := runCase(c, mapping.NativeStep)
		for _, in := range rec.inputs {
			f.Add(in)
		}
	}
	fuzzOnce.Do(func() {
		rt := sharedRuntime(f)
		p, err := rt.Load(context.Background(), pluginWasm(f), PluginConfig{MaxInstances: 1})
		if err != nil {
			f.Fatalf("load the plugin: %v", err)
		}
		fuzzPlugin = p
	})
	if fuzzPlugin == nil {
		f.Fatal("the plugin failed to load in an earlier run of this target")
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, input []byte) {
		want := mapping.Step(nil, input)
		got, err := fuzzPlugin.Step(ctx, nil, input)
		if err != nil {
			if errors.Is(err, ErrDeadline) {
				t.Skipf("the plugin step overran its deadline on a loaded machine: %v", err)
			}
			t.Fatalf("plugin step failed: %v\ninput: %q", err, input)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("plugin and native outputs differ\ninput:  %q\nplugin: %s\nnative: %s", input, got, want)
		}
	})
}
