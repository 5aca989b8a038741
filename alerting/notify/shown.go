package notify

import (
	"fmt"
	"log/slog"
)

// shown is embedded in every notifier so that printing or logging one
// (any fmt verb, slog) shows its kind and endpoint without secrets: fmt
// prints unexported fields by reflection, bypassing secret.Secret's own
// String method, and the notifier's redactor holds the secrets in clear.
type shown struct{ desc string }

func (s shown) String() string             { return s.desc }
func (s shown) GoString() string           { return s.desc }
func (s shown) LogValue() slog.Value       { return slog.StringValue(s.desc) }
func (s shown) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.desc)) }
func describe(kind, target string) shown   { return shown{kind + "(" + target + ")"} }
