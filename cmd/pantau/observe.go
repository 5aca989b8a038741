package main

import (
	"time"

	"github.com/pantau/pantau/alerting"
	"github.com/pantau/pantau/store"
)

// timedScorer measures each score for the metrics. It keeps the scorer's
// name, which the pipeline reads to know which stored scores are its own.
type timedScorer struct {
	*alerting.ComposedScorer
	observe func(time.Duration)
}

func (t timedScorer) Score(in alerting.Input) store.Score {
	start := time.Now()
	sc := t.ComposedScorer.Score(in)
	t.observe(time.Since(start))
	return sc
}

func sourceNames(cfg *Config) []string {
	names := make([]string, len(cfg.Sources))
	for i, s := range cfg.Sources {
		names[i] = s.Name
	}
	return names
}
