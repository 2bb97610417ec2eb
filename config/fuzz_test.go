package config

import "testing"

// FuzzParse feeds arbitrary bytes to the configuration parser: it must
// return a configuration or an error, never panic, and a configuration it
// returns must have every destination's token resolved.
func FuzzParse(f *testing.F) {
	f.Add([]byte("destinations:\n  - name: a\n    writeKeys: [k]\n    apiKeyEnv: T\n    settings: {apiServer: eu}\n"))
	f.Add([]byte(`{"workers":2,"retry":{"maxAttempts":3,"baseDelay":"1s"},"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"${T}"}]}`))
	f.Add([]byte("listen: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, func(string) (string, bool) { return "token", true })
		if err != nil {
			return
		}
		for _, d := range cfg.Destinations {
			if d.Token == "" || len(d.WriteKeys) == 0 {
				t.Fatalf("accepted destination without token or write keys: %+v", d)
			}
		}
	})
}
