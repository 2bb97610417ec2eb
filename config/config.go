// Package config loads the gateway's configuration file: where to listen,
// which plugin to run, and the Intercom destinations that write keys
// deliver to.
//
// The file is YAML or JSON (JSON is YAML too). Access tokens come from the
// file or, better, from environment variables, and are never printed. Load
// validates everything it can before the gateway starts, so a typo fails
// at start-up with a message that names the field, not later per event.
package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/intercom-gateway/gateway/mapping"
)

// Config is the whole configuration file.
type Config struct {
	// Listen is the ingestion address, default 127.0.0.1:8080.
	Listen string `json:"listen"`
	// Plugin is the mapping plugin file, default build/mapping.wasm.
	Plugin string `json:"plugin"`
	// CacheDir holds wazero's compiled plugin cache; empty disables it.
	CacheDir string `json:"cacheDir"`
	// Workers is the number of delivery workers, default 8. Events of one
	// contact always go to the same worker, so they stay in order.
	Workers int `json:"workers"`
	// MaxBodyBytes caps one ingestion request after decompression,
	// default 4 MiB.
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	// ShutdownTimeout bounds how long shutdown waits for in-flight
	// deliveries, default 10s.
	ShutdownTimeout Duration `json:"shutdownTimeout"`
	// DataDir holds the durable event queue, default "data".
	DataDir string `json:"dataDir"`
	// Retry sets how events whose outcome is "retrying" are retried.
	Retry Retry `json:"retry"`
	// AdminTokenEnv names an environment variable holding the bearer token
	// of the /admin/ API; without it the admin API is off.
	AdminTokenEnv string `json:"adminTokenEnv"`
	// AdminToken is the resolved admin token. It is never serialized.
	AdminToken string `json:"-"`
	// Plugins sets how plugin modules are verified and replaced.
	Plugins Plugins `json:"plugins"`
	// Destinations are the Intercom workspaces events go to.
	Destinations []Destination `json:"destinations"`
}

// Destination is one Intercom workspace and the write keys that feed it.
type Destination struct {
	// Name identifies the destination in logs, metrics and results.
	Name string `json:"name"`
	// WriteKeys are the SDK write keys whose events go here.
	WriteKeys []string `json:"writeKeys"`
	// APIKey is the Intercom access token. Prefer APIKeyEnv.
	APIKey string `json:"apiKey"`
	// APIKeyEnv names an environment variable that holds the token.
	APIKeyEnv string `json:"apiKeyEnv"`
	// BaseURL replaces the region's API URL, for the simulator and tests.
	BaseURL string `json:"baseURL"`
	// Settings are the mapping settings (apiServer, sendAnonymousId,
	// customAttributePolicy, ...), without the token.
	Settings json.RawMessage `json:"settings"`

	// Token is the resolved access token. It is never serialized.
	Token string `json:"-"`
	// Parsed holds the validated settings.
	Parsed mapping.Settings `json:"-"`
}

// Plugins sets how a plugin module is verified before it takes traffic,
// at start and on every swap, and when a new one is rolled back.
type Plugins struct {
	// PublicKeyFile holds the base64 ed25519 public key whose signature
	// (the module file's ".sig" companion, base64) a module must carry.
	PublicKeyFile string `json:"publicKeyFile"`
	// PublicKey is the same key given inline.
	PublicKey string `json:"publicKey"`
	// SHA256 pins module hashes (hex) that are accepted without a signature.
	SHA256 []string `json:"sha256"`
	// AllowUnsigned accepts modules with neither a valid signature nor a
	// pinned hash. Off by default.
	AllowUnsigned bool `json:"allowUnsigned"`
	// SelfTestDir is a folder of golden cases run through a new plugin
	// before a swap, besides the built-in cases.
	SelfTestDir string `json:"selfTestDir"`
	// Watch polls the plugin file at this interval and swaps in a changed
	// module; 0 turns watching off.
	Watch Duration `json:"watch"`
	// AutoRollback returns to the previous plugin when a new one fails too
	// often soon after a swap.
	AutoRollback AutoRollback `json:"autoRollback"`
	// PublicKeyBytes is the resolved public key. It is never serialized.
	PublicKeyBytes []byte `json:"-"`
}

// AutoRollback sets when a newly swapped plugin is rolled back.
type AutoRollback struct {
	// Window is how long after a swap the error rate is watched; default
	// 5m, and a negative value turns automatic rollback off.
	Window Duration `json:"window"`
	// MinEvents is the deliveries needed before the rate counts; default 20.
	MinEvents int `json:"minEvents"`
	// MaxErrorRate is the failed share of deliveries (0 to 1) above which
	// the plugin is rolled back; default 0.5.
	MaxErrorRate float64 `json:"maxErrorRate"`
}

// Retry sets the retry budget of events whose outcome is "retrying": an
// Intercom outage, a 429 storm, a track that arrives before its identify.
type Retry struct {
	// MaxAttempts bounds the deliveries of one event before it becomes a
	// dead letter; default 30, which with the default delays spans about
	// two hours.
	MaxAttempts int `json:"maxAttempts"`
	// BaseDelay is the first back-off, doubled per attempt with jitter;
	// default 1s.
	BaseDelay Duration `json:"baseDelay"`
	// MaxDelay caps one back-off; default 5m.
	MaxDelay Duration `json:"maxDelay"`
}

// Duration is a time.Duration written as "10s" or "1m30s".
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q: use a form such as \"10s\" or \"2m\"", s)
		}
		d.Duration = v
		return nil
	}
	var seconds float64
	if err := json.Unmarshal(b, &seconds); err != nil {
		return fmt.Errorf("invalid duration %s: use a form such as \"10s\" or a number of seconds", b)
	}
	d.Duration = time.Duration(seconds * float64(time.Second))
	return nil
}

// Defaults for fields left empty.
const (
	DefaultListen       = "127.0.0.1:8080"
	DefaultPlugin       = "build/mapping.wasm"
	DefaultWorkers      = 8
	DefaultMaxBodyBytes = 4 << 20
	DefaultShutdown     = 10 * time.Second
	DefaultDataDir      = "data"
	DefaultMaxAttempts  = 30
	DefaultBaseDelay    = time.Second
	DefaultMaxDelay     = 5 * time.Minute
)

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	cfg, err := Parse(data, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse validates configuration bytes; lookupEnv resolves APIKeyEnv and
// ${NAME} references in apiKey.
func Parse(data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	var cfg Config
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("invalid YAML or JSON: %w", err)
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Plugin == "" {
		cfg.Plugin = DefaultPlugin
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Workers < 0 || cfg.Workers > 1024 {
		return nil, fmt.Errorf("workers is %d; set it between 1 and 1024", cfg.Workers)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxBodyBytes < 1024 {
		return nil, fmt.Errorf("maxBodyBytes is %d; set it to at least 1024", cfg.MaxBodyBytes)
	}
	if cfg.ShutdownTimeout.Duration == 0 {
		cfg.ShutdownTimeout.Duration = DefaultShutdown
	}
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
	}
	if cfg.Retry.MaxAttempts == 0 {
		cfg.Retry.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Retry.MaxAttempts < 1 {
		return nil, fmt.Errorf("retry.maxAttempts is %d; set it to at least 1", cfg.Retry.MaxAttempts)
	}
	if cfg.Retry.BaseDelay.Duration == 0 {
		cfg.Retry.BaseDelay.Duration = DefaultBaseDelay
	}
	if cfg.Retry.MaxDelay.Duration == 0 {
		cfg.Retry.MaxDelay.Duration = DefaultMaxDelay
	}
	if cfg.Retry.BaseDelay.Duration < 0 || cfg.Retry.MaxDelay.Duration < cfg.Retry.BaseDelay.Duration {
		return nil, fmt.Errorf("retry delays are invalid (baseDelay %s, maxDelay %s); maxDelay must be at least baseDelay", cfg.Retry.BaseDelay, cfg.Retry.MaxDelay)
	}
	if cfg.AdminTokenEnv != "" {
		// A missing token is reported by RequireAdminToken, since only
		// serve needs it.
		if v, ok := lookupEnv(cfg.AdminTokenEnv); ok {
			cfg.AdminToken = strings.TrimSpace(v)
		}
	}
	if err := cfg.Plugins.resolve(); err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	if len(cfg.Destinations) == 0 {
		return nil, fmt.Errorf("no destinations; add one with a name, writeKeys and apiKeyEnv")
	}

	names := map[string]bool{}
	keys := map[string]string{}
	for i := range cfg.Destinations {
		d := &cfg.Destinations[i]
		if err := d.resolve(lookupEnv); err != nil {
			return nil, fmt.Errorf("destination %d (%q): %w", i, d.Name, err)
		}
		if names[d.Name] {
			return nil, fmt.Errorf("destination name %q is used twice; names must be unique", d.Name)
		}
		names[d.Name] = true
		for _, k := range d.WriteKeys {
			if other, dup := keys[k]; dup {
				return nil, fmt.Errorf("a write key of destination %q is also used by %q; each write key feeds one destination", d.Name, other)
			}
			keys[k] = d.Name
		}
	}
	return &cfg, nil
}

func (d *Destination) resolve(lookupEnv func(string) (string, bool)) error {
	if strings.TrimSpace(d.Name) == "" {
		return fmt.Errorf("name is missing")
	}
	if len(d.WriteKeys) == 0 {
		return fmt.Errorf("writeKeys is empty; list the SDK write keys whose events go to this destination")
	}
	for _, k := range d.WriteKeys {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("writeKeys contains an empty key")
		}
	}

	switch {
	case d.APIKeyEnv != "":
		v, ok := lookupEnv(d.APIKeyEnv)
		if !ok || strings.TrimSpace(v) == "" {
			return fmt.Errorf("environment variable %s (apiKeyEnv) is not set; export the Intercom access token in it", d.APIKeyEnv)
		}
		d.Token = strings.TrimSpace(v)
	case strings.HasPrefix(d.APIKey, "${") && strings.HasSuffix(d.APIKey, "}"):
		name := d.APIKey[2 : len(d.APIKey)-1]
		v, ok := lookupEnv(name)
		if !ok || strings.TrimSpace(v) == "" {
			return fmt.Errorf("environment variable %s (from apiKey) is not set; export the Intercom access token in it", name)
		}
		d.Token = strings.TrimSpace(v)
	case d.APIKey != "":
		d.Token = d.APIKey
	default:
		return fmt.Errorf("no access token; set apiKeyEnv to the name of an environment variable that holds it")
	}

	if len(d.Settings) == 0 {
		d.Settings = json.RawMessage("{}")
	}
	settings, err := stripToken(d.Settings)
	if err != nil {
		return err
	}
	if err := checkSettingNames(settings); err != nil {
		return err
	}
	d.Settings = settings
	parsed, err := mapping.ParseSettings(d.Settings)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	d.Parsed = parsed
	return nil
}

// stripToken removes apiKey from the settings, so a token pasted there
// never reaches the plugin.
func stripToken(settings json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(settings, &m); err != nil {
		return nil, fmt.Errorf("settings is not a JSON object: %w", err)
	}
	if _, ok := m["apiKey"]; !ok {
		return settings, nil
	}
	delete(m, "apiKey")
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return out, nil
}

// Lookup returns the destination fed by a write key.
func (c *Config) Lookup(writeKey string) (*Destination, bool) {
	for i := range c.Destinations {
		for _, k := range c.Destinations[i].WriteKeys {
			if k == writeKey {
				return &c.Destinations[i], true
			}
		}
	}
	return nil, false
}

func (p *Plugins) resolve() error {
	key := strings.TrimSpace(p.PublicKey)
	if p.PublicKeyFile != "" {
		data, err := os.ReadFile(p.PublicKeyFile)
		if err != nil {
			return fmt.Errorf("read publicKeyFile: %w", err)
		}
		key = strings.TrimSpace(string(data))
	}
	if key != "" {
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return fmt.Errorf("the public key is not a base64 ed25519 key of %d bytes; create one with intercom-gateway plugin keygen", ed25519.PublicKeySize)
		}
		p.PublicKeyBytes = raw
	}
	for _, h := range p.SHA256 {
		if len(h) != 64 || strings.Trim(strings.ToLower(h), "0123456789abcdef") != "" {
			return fmt.Errorf("sha256 %q is not 64 hex digits", h)
		}
	}
	if p.AutoRollback.Window.Duration == 0 {
		p.AutoRollback.Window.Duration = 5 * time.Minute
	}
	if p.AutoRollback.MinEvents == 0 {
		p.AutoRollback.MinEvents = 20
	}
	if p.AutoRollback.MaxErrorRate == 0 {
		p.AutoRollback.MaxErrorRate = 0.5
	}
	if p.AutoRollback.MaxErrorRate < 0 || p.AutoRollback.MaxErrorRate > 1 {
		return fmt.Errorf("autoRollback.maxErrorRate is %g; set it between 0 and 1", p.AutoRollback.MaxErrorRate)
	}
	if p.Watch.Duration < 0 {
		return fmt.Errorf("watch is %s; set a positive interval or leave it out", p.Watch)
	}
	return nil
}

// knownSettings are the destination settings the mapping reads. apiKey is
// removed before the check.
var knownSettings = []string{"apiServer", "apiVersion", "sendAnonymousId", "updateLastRequestAt", "customAttributePolicy"}

// checkSettingNames rejects a setting the mapping does not know, so a typo
// such as customAttributPolicy fails at start instead of being ignored.
func checkSettingNames(settings json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(settings, &m); err != nil {
		return fmt.Errorf("settings is not a JSON object: %w", err)
	}
	for name := range m {
		if !slices.Contains(knownSettings, name) {
			return fmt.Errorf("settings has an unknown field %q; the known settings are %s (intercom-gateway migrate check converts a RudderStack export)", name, strings.Join(knownSettings, ", "))
		}
	}
	return nil
}

// RequireAdminToken reports an adminTokenEnv whose variable is not set.
// serve calls it; commands that serve no admin API do not need the token.
func (c *Config) RequireAdminToken() error {
	if c.AdminTokenEnv != "" && c.AdminToken == "" {
		return fmt.Errorf("environment variable %s (adminTokenEnv) is not set; export the admin API token in it or remove adminTokenEnv", c.AdminTokenEnv)
	}
	return nil
}
