package main

import (
	"context"
	"flag"
	"fmt"
)

func delCommand() command {
	return command{
		name:    "del",
		args:    "KEY...",
		summary: "delete keys and print how many existed",
		about: `
Deletes the given keys (relative to the namespace, e.g. ticker:QRL/USDT) and prints "deleted N", N being
how many of them existed. Missing keys are not an error (exit 0). Keys are taken literally: glob
characters have no meaning here (use clear for a symbol or the whole namespace). If any key is invalid,
nothing is deleted (exit 2). A missing key that looks like a full key (qrl:v1:ticker:QRL/USDT) or has a
lower-case symbol gets a hint on stderr naming the key to give instead.

--json prints {"deleted": N} instead.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			cf := cacheFlags{ops: true}
			cf.register(fs)
			asJSON := jsonFlag(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) == 0 {
					return usageErrorf("del needs at least one KEY")
				}
				cache, err := cf.open(ctx, a)
				if err != nil {
					return err
				}
				defer cache.Close()
				n, err := cache.Delete(ctx, args...)
				if err != nil {
					return err
				}
				if n < len(args) { // some were not there: a full key or a lower-case symbol, perhaps
					for _, key := range args {
						if hint := fullKeyHint(ctx, cache, "del", key); hint != "" {
							fmt.Fprintf(a.stderr, "hint: %s: %s\n", key, hint)
						}
					}
				}
				if *asJSON {
					return writeJSON(a.stdout, struct {
						Deleted int `json:"deleted"`
					}{n})
				}
				_, err = fmt.Fprintf(a.stdout, "deleted %d\n", n)
				return err
			}
		},
	}
}
