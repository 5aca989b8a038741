package collectors

import "errors"

// KindYouTube is the source kind for YouTube channel feeds.
const KindYouTube = "youtube"

// YouTubeConfig holds the settings of a youtube source (the "youtube:" section).
type YouTubeConfig struct{}

func (c *YouTubeConfig) validate(path string) []error { return nil }

// NewYouTube builds a youtube collector.
func NewYouTube(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("youtube: not built yet")
}
