package collectors

import "errors"

// KindGitHub is the source kind for GitHub issues and discussions search.
const KindGitHub = "github"

// GitHubConfig holds the settings of a github source (the "github:" section).
type GitHubConfig struct{}

func (c *GitHubConfig) validate(path string) []error { return nil }

// NewGitHub builds a github collector.
func NewGitHub(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("github: not built yet")
}
