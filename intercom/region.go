package intercom

import (
	"fmt"
	"strings"
)

// Region names accepted by BaseURL and Config.Region.
const (
	RegionStandard = "standard"
	RegionUS       = "us"
	RegionEU       = "eu"
	RegionAU       = "au"
)

// The API root of each Intercom region.
const (
	baseURLUS = "https://api.intercom.io"
	baseURLEU = "https://api.eu.intercom.io"
	baseURLAU = "https://api.au.intercom.io"
)

// BaseURL returns the API root for a region name: "standard" or "us" →
// https://api.intercom.io, "eu" → https://api.eu.intercom.io, "au" →
// https://api.au.intercom.io. The empty string means "standard". Names are
// matched case-insensitively after trimming spaces. Any other name returns a
// *ConfigError; there is no fallback to the US host, because a token sent to
// the wrong region fails or is proxied unpredictably.
func BaseURL(region string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(region)) {
	case "", RegionStandard, RegionUS:
		return baseURLUS, nil
	case RegionEU:
		return baseURLEU, nil
	case RegionAU:
		return baseURLAU, nil
	}
	return "", &ConfigError{
		Field:  "Region",
		Value:  region,
		Reason: fmt.Sprintf("unknown region; use %q (or %q), %q or %q", RegionStandard, RegionUS, RegionEU, RegionAU),
	}
}
