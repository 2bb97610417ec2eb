package mapping

import (
	"fmt"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Limits on what one step accepts and produces. They bound the work and the
// memory of a plugin instance, so a hostile event cannot exhaust either.
const (
	// MaxInputSize is the largest step input, event and responses included.
	MaxInputSize = 4 << 20
	// MaxEventSize is the largest event. Segment's tracking API accepts
	// 32 KB per event, so this leaves ample room for server-side sources.
	MaxEventSize = 1 << 20
	// MaxNestingDepth is the deepest array or object nesting in the step
	// input. Events deeper than this are rejected before they are parsed.
	MaxNestingDepth = 64
	// MaxFlattenDepth is the deepest nesting below one custom attribute or
	// metadata key that flattening follows.
	MaxFlattenDepth = 32
	// MaxFlattenedKeys is the largest number of custom attributes or
	// metadata keys one event may produce. An Intercom workspace holds at
	// most 250 custom data attributes, so more is a mistake in the event.
	MaxFlattenedKeys = 1000
	// MaxOutputSize is the largest step output.
	MaxOutputSize = 8 << 20
)

// checkJSONShape reports the first reason data cannot be handled: invalid
// UTF-8 or nesting deeper than maxDepth. It scans without recursion, so any
// input is safe to check; full JSON validation follows separately.
func checkJSONShape(data []byte, maxDepth int) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("the JSON is not valid UTF-8; send text encoded as UTF-8")
	}
	depth := 0
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("the JSON nests deeper than %d levels at byte %d; flatten the event before sending it", maxDepth, i)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// ValidateJSON checks what Step checks before parsing an event: valid
// UTF-8, nesting within MaxNestingDepth and valid JSON. The ingestion API
// uses it to reject a bad event when it arrives rather than at delivery.
func ValidateJSON(data []byte) error {
	if err := checkJSONShape(data, MaxNestingDepth); err != nil {
		return err
	}
	if !gjson.ValidBytes(data) {
		return fmt.Errorf("the JSON is not valid")
	}
	return nil
}
