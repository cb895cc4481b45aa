package cachekit

// Version is this release of the cachekit module, in semantic versioning without the "v". A release is
// tagged "v"+Version on the commit that sets it, and CHANGELOG.md has a section of that name; between
// releases it names the last release (the CHANGELOG's "Unreleased" section says what has changed since).
// The cachekit CLI prints it with --version, next to the module version and VCS revision of its build.
const Version = "0.1.0"
