package collectors

import "time"

// PollObserver is told about each poll of a source: how long the fetch
// and parse took and its error (nil on success). Polls cut short by
// shutdown are not reported.
type PollObserver func(source string, took time.Duration, err error)

// ObservePolls sets o (for metrics). Call it before Start.
func (s *Scheduler) ObservePolls(o PollObserver) { s.observe = o }
