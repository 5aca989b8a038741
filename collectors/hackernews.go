package collectors

import "errors"

// KindHackerNews is the source kind for Hacker News through the Algolia search API.
const KindHackerNews = "hackernews"

// HackerNewsConfig holds the settings of a hackernews source (the "hackernews:" section).
type HackerNewsConfig struct{}

func (c *HackerNewsConfig) validate(path string) []error { return nil }

// NewHackerNews builds a hackernews collector.
func NewHackerNews(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("hackernews: not built yet")
}
