package collectors

import "errors"

// KindBluesky is the source kind for Bluesky: Jetstream firehose with local matching; app-password searchPosts backfill.
const KindBluesky = "bluesky"

// BlueskyConfig holds the settings of a bluesky source (the "bluesky:" section).
type BlueskyConfig struct{}

func (c *BlueskyConfig) validate(path string) []error { return nil }

// NewBluesky builds a bluesky collector.
func NewBluesky(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("bluesky: not built yet")
}
