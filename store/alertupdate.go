package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// UpdateAlert changes a stored alert in one transaction (so a change made
// meanwhile by another writer is not overwritten) and records an alert
// event when fn changed it. An unknown id is ErrNotFound; an error from
// fn is returned as it is and nothing is written.
func (s *Store) UpdateAlert(id string, fn func(*Alert) error) (Alert, error) {
	var a Alert
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		var err error
		a, err = updateAlert(tx, ev, id, fn)
		return err
	})
	return a, err
}

// UpdateAlerts is UpdateAlert for many alerts in one transaction (one
// disk sync); ids not stored are skipped. It returns the alerts as they
// are after fn, by id. An error from fn stops and writes nothing.
func (s *Store) UpdateAlerts(ids []string, fn func(*Alert) error) (map[string]Alert, error) {
	var out map[string]Alert
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		out = make(map[string]Alert, len(ids))
		for _, id := range ids {
			a, err := updateAlert(tx, ev, id, fn)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out[id] = a
		}
		return nil
	})
	return out, err
}

// AlertWrite is one write of WriteAlerts: with Put, it stores *Put as
// PutAlert does; otherwise it changes the stored alert ID with Update as
// UpdateAlert does.
type AlertWrite struct {
	Put    *Alert
	ID     string
	Update func(*Alert) error
}

// WriteAlerts does ws in order in one transaction (one disk sync), with
// the same records and events as doing each alone. The pipeline opens and
// refreshes hundreds of alerts a second under load; one sync each was over
// half of the daemon's time in the soak (issue 8). An update of an alert
// not stored is skipped and reported as ErrNotFound after the others are
// written; any other error writes nothing.
func (s *Store) WriteAlerts(ws []AlertWrite) error {
	if len(ws) == 0 {
		return nil
	}
	var missing []error
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		missing = nil
		for _, w := range ws {
			var err error
			if w.Put != nil {
				if w.Put.ID == "" {
					return errors.New("put alert: empty id")
				}
				_, err = putAlert(tx, ev, w.Put)
			} else {
				_, err = updateAlert(tx, ev, w.ID, w.Update)
				if errors.Is(err, ErrNotFound) {
					missing = append(missing, err)
					continue
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(missing...)
}

func updateAlert(tx *bolt.Tx, ev *eventWriter, id string, fn func(*Alert) error) (Alert, error) {
	var a Alert
	err := func() error {
		b := tx.Bucket(bucketAlerts)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("alert %q: %w", id, ErrNotFound)
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("decode alert %s: %w", id, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		data, err := json.Marshal(&a)
		if err != nil {
			return err
		}
		if string(data) == string(v) {
			return nil
		}
		if err := b.Put([]byte(id), data); err != nil {
			return err
		}
		return ev.add(EventAlert, data)
	}()
	return a, err
}
