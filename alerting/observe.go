package alerting

// OnAlertRaised sets fn to be called with the rule's name each time the
// pipeline opens an alert (for metrics). Set it before the pipeline is
// used.
func (p *Pipeline) OnAlertRaised(fn func(rule string)) { p.onRaise = fn }
