package collectors

import "errors"

// KindReddit is the source kind for Reddit: search.json sorted by new.
const KindReddit = "reddit"

// RedditConfig holds the settings of a reddit source (the "reddit:" section).
type RedditConfig struct{}

func (c *RedditConfig) validate(path string) []error { return nil }

// NewReddit builds a reddit collector.
func NewReddit(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("reddit: not built yet")
}
