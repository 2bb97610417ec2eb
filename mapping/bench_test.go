package mapping_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

// benchEvents are the realistic events of testdata/bench: RudderStack-style
// identify, track and group events of about 1 KB and 10 KB.
var benchEvents = []string{"identify-1k", "track-1k", "group-1k", "identify-10k", "track-10k", "group-10k"}

func readBenchEvent(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "bench", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkStep measures the first step of each event: parsing, validation
// and the first request.
func BenchmarkStep(b *testing.B) {
	for _, name := range benchEvents {
		event := readBenchEvent(b, name)
		input := mapping.AppendStepInput(nil, event, []byte(`{"apiServer":"us"}`), 1733337600, nil, nil)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				out = mapping.Step(out[:0], input)
			}
		})
	}
}

// BenchmarkExchange measures every step of each event with in-memory
// answers: the whole mapping cost of delivering one event.
func BenchmarkExchange(b *testing.B) {
	for _, name := range benchEvents {
		event := readBenchEvent(b, name)
		x := mapping.Exchange{Step: mapping.NativeStep, Send: answerAll}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(event)))
			b.ReportAllocs()
			for b.Loop() {
				res := x.Run(context.Background(), event, []byte(`{"apiServer":"us"}`), 1733337600)
				if res.Outcome != mapping.OutcomeDelivered {
					b.Fatalf("%s: %s: %s", name, res.Outcome, res.Message)
				}
			}
		})
	}
}
