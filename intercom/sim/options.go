package sim

import (
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Regions a simulator can serve; "standard" is an alias of "us".
const (
	RegionUS = "us"
	RegionEU = "eu"
	RegionAU = "au"
)

// Default option values.
const (
	DefaultWorkspaceID        = "simworkspace"
	DefaultTokenRateLimit     = 1667 // 10,000 calls per minute per app, spread over 10-second windows
	DefaultWorkspaceRateLimit = 4167 // 25,000 calls per minute per workspace
	DefaultMaxContacts        = 50_000
	DefaultMaxCompanies       = 50_000
	DefaultMaxEvents          = 100_000
	DefaultMaxTags            = 10_000
	DefaultMaxBodyBytes       = 1 << 20
	// DefaultAdminID is the workspace's only admin when Options.AdminIDs is
	// empty. An owner_id must name an admin.
	DefaultAdminID = 991267785
	// MaxCustomAttributes is Intercom's limit of custom data attributes per
	// workspace.
	MaxCustomAttributes = 250
)

// Options configures a Server. The zero value serves region "us", accepts
// any non-empty access token and uses the documented default rate limits.
//
// Modelling choices:
//   - Tokens are bound to a region. A token listed for another region gets
//     401 token_not_found. Intercom may instead proxy such a request to the
//     right region; the simulator does not.
//   - One simulator is one workspace.
//   - Emails are compared case-insensitively unless EmailCaseSensitive.
type Options struct {
	// Region this simulator serves: "us" (default, alias "standard"), "eu" or "au".
	Region string
	// Tokens maps each accepted access token to its region ("" means Region).
	// When empty, every non-empty bearer token is accepted for Region.
	Tokens map[string]string
	// WorkspaceID is returned as workspace_id and app_id.
	WorkspaceID string
	// AdminIDs are the admins an owner_id may name; default DefaultAdminID.
	AdminIDs []int64

	// TokenRateLimit and WorkspaceRateLimit are the requests allowed per
	// 10-second window per token and for the whole workspace.
	TokenRateLimit     int
	WorkspaceRateLimit int

	// SearchLag is how long a new contact stays invisible to search.
	SearchLag time.Duration
	// CompanyLookupAsList makes GET /companies?company_id= and ?name= return
	// a company list, as the OpenAPI file declares, instead of the single
	// company object Intercom is observed to return.
	CompanyLookupAsList bool
	// EmailCaseSensitive compares emails exactly instead of ignoring case.
	EmailCaseSensitive bool
	// TimeZone is the workspace time zone for day-granular date search;
	// default UTC.
	TimeZone *time.Location

	// DataAttributes are custom data attributes defined at start.
	DataAttributes []DataAttributeSeed

	// Faults injects failures into API requests (not /_sim/ requests).
	Faults Faults

	// Caps on stored state. At the cap, creates get 422
	// sim_capacity_reached; the oldest events are evicted instead.
	MaxContacts  int
	MaxCompanies int
	MaxEvents    int
	MaxTags      int
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int64

	// Now is the time source; default time.Now. Tests pass a fake clock.
	Now func() time.Time
	// Seed makes ids, request ids and fault injection deterministic for a
	// given request order; 0 means a random seed.
	Seed uint64
	// Logger receives one line per request error and per injected fault;
	// default slog.Default().
	Logger *slog.Logger
}

// DataAttributeSeed defines a custom data attribute at start.
type DataAttributeSeed struct {
	// Model is "contact" or "company".
	Model string
	Name  string
	// DataType is "string", "integer", "float", "boolean" or "date".
	DataType string
	Options  []string
	Archived bool
}

// Faults injects failures. Each API request first rolls DropRate, then each
// status of ErrorRates in ascending status order; the first hit decides.
// Latency is added to every request that is not dropped.
type Faults struct {
	// ErrorRates maps an HTTP status to the probability (0 to 1) of
	// responding with it instead of handling the request.
	ErrorRates map[int]float64
	// Latency is added before handling; LatencyJitter adds a random extra
	// in [0, LatencyJitter).
	Latency       time.Duration
	LatencyJitter time.Duration
	// DropRate is the probability of closing the connection without a
	// response. See dropConnection for connections that cannot be hijacked.
	DropRate float64
}

// ParseErrorRates parses a list such as "503:0.1,500:0.05" into a status →
// probability map. Statuses must be 400-599 and probabilities 0-1; the
// empty string returns an empty map.
func ParseErrorRates(spec string) (map[int]float64, error) {
	rates := map[int]float64{}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return rates, nil
	}
	for _, item := range strings.Split(spec, ",") {
		statusText, rateText, found := strings.Cut(strings.TrimSpace(item), ":")
		if !found {
			return nil, fmt.Errorf("invalid error rate %q: want status:probability, e.g. 503:0.1", item)
		}
		status, err := strconv.Atoi(strings.TrimSpace(statusText))
		if err != nil || status < 400 || status > 599 {
			return nil, fmt.Errorf("invalid error rate %q: status must be an integer from 400 to 599", item)
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(rateText), 64)
		if err != nil || math.IsNaN(rate) || rate < 0 || rate > 1 {
			return nil, fmt.Errorf("invalid error rate %q: probability must be a number from 0 to 1", item)
		}
		if _, dup := rates[status]; dup {
			return nil, fmt.Errorf("invalid error rates %q: status %d is listed twice", spec, status)
		}
		rates[status] = rate
	}
	return rates, nil
}

// FormatErrorRates is the inverse of ParseErrorRates, in ascending status order.
func FormatErrorRates(rates map[int]float64) string {
	statuses := make([]int, 0, len(rates))
	for s := range rates {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	parts := make([]string, 0, len(statuses))
	for _, s := range statuses {
		parts = append(parts, fmt.Sprintf("%d:%s", s, strconv.FormatFloat(rates[s], 'g', -1, 64)))
	}
	return strings.Join(parts, ",")
}

func (o Options) withDefaults() (Options, error) {
	switch strings.ToLower(o.Region) {
	case "", "standard", RegionUS:
		o.Region = RegionUS
	case RegionEU, RegionAU:
		o.Region = strings.ToLower(o.Region)
	default:
		return o, fmt.Errorf("sim: invalid region %q: use us, eu or au", o.Region)
	}
	for token, region := range o.Tokens {
		if token == "" {
			return o, fmt.Errorf("sim: Tokens contains an empty token")
		}
		switch strings.ToLower(region) {
		case "", "standard", RegionUS, RegionEU, RegionAU:
		default:
			return o, fmt.Errorf("sim: invalid region %q for a token: use us, eu or au", region)
		}
	}
	if o.WorkspaceID == "" {
		o.WorkspaceID = DefaultWorkspaceID
	}
	if len(o.AdminIDs) == 0 {
		o.AdminIDs = []int64{DefaultAdminID}
	}
	if o.TokenRateLimit <= 0 {
		o.TokenRateLimit = DefaultTokenRateLimit
	}
	if o.WorkspaceRateLimit <= 0 {
		o.WorkspaceRateLimit = DefaultWorkspaceRateLimit
	}
	if o.TimeZone == nil {
		o.TimeZone = time.UTC
	}
	if o.MaxContacts <= 0 {
		o.MaxContacts = DefaultMaxContacts
	}
	if o.MaxCompanies <= 0 {
		o.MaxCompanies = DefaultMaxCompanies
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.MaxTags <= 0 {
		o.MaxTags = DefaultMaxTags
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for status, rate := range o.Faults.ErrorRates {
		if status < 400 || status > 599 || rate < 0 || rate > 1 || math.IsNaN(rate) {
			return o, fmt.Errorf("sim: invalid fault %d:%v: status must be 400-599 and probability 0-1", status, rate)
		}
	}
	if o.Faults.DropRate < 0 || o.Faults.DropRate > 1 || o.Faults.Latency < 0 || o.Faults.LatencyJitter < 0 {
		return o, fmt.Errorf("sim: invalid faults: DropRate must be 0-1 and latencies not negative")
	}
	return o, nil
}

func normalizeRegion(region, fallback string) string {
	switch strings.ToLower(region) {
	case "":
		return fallback
	case "standard":
		return RegionUS
	}
	return strings.ToLower(region)
}
