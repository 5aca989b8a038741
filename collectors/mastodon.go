package collectors

import "errors"

// KindMastodon is the source kind for Mastodon: hashtag timelines per instance; with a user token full-text search and streaming.
const KindMastodon = "mastodon"

// MastodonConfig holds the settings of a mastodon source (the "mastodon:" section).
type MastodonConfig struct{}

func (c *MastodonConfig) validate(path string) []error { return nil }

// NewMastodon builds a mastodon collector.
func NewMastodon(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("mastodon: not built yet")
}
