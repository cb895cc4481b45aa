package memory

// StopCounting turns s's hit and miss counting off, so a benchmark can measure what counting costs.
func StopCounting(s *Store) { s.uncounted = true }
