package store

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkIngest measures mentions per second into bbolt with durable
// (fsynced) commits, in batches the size collectors produce. Each mention is
// new, so every one pays the dedup lookup, the record, the time index and
// its event. Run: go test ./store -run '^$' -bench Ingest -benchtime 20000x
func BenchmarkIngest(b *testing.B) {
	for _, size := range []int{20, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			c := newClock()
			st, _ := openTest(b, c)
			text := "udh 3 hari paket blm nyampe, kecewa bgt min. Order #123 still not delivered and nobody answers"
			followers := int64(1200)
			batch := make([]Mention, 0, size)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += size {
				batch = batch[:0]
				for j := i; j < i+size && j < b.N; j++ {
					batch = append(batch, Mention{
						NativeID: fmt.Sprintf("https://example.social/users/u%d/statuses/%d", j%977, j),
						URL:      "https://example.social/@u/1", Text: text, Lang: "id",
						Author:    Author{Handle: "budi", Followers: &followers},
						CreatedAt: c.Now(),
					})
				}
				if _, err := st.Ingest(Batch{Source: "bench", Kind: "mastodon", Mentions: batch, At: c.Now()}); err != nil {
					b.Fatal(err)
				}
				c.Add(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mentions/s")
		})
	}
}
