package redistest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
)

// Bounds on Docker work, so a slow or wedged engine costs a known time and then falls back to processes.
const (
	dockerProbeTimeout = 10 * time.Second
	imagePullTimeout   = 3 * time.Minute
	containerTimeout   = 60 * time.Second
)

// docker remembers, once per binary, whether containers can be used and with which image.
var docker struct {
	once  sync.Once
	image string
	err   error // an unavailableError when Docker does not answer or the image cannot be had
}

// containerImage returns the image to run when a Docker engine answers and the image is present locally
// or can be pulled; otherwise an unavailableError saying why not.
func containerImage() (string, error) {
	docker.once.Do(func() {
		docker.image = os.Getenv(EnvImage)
		if docker.image == "" {
			docker.image = DefaultImage
		}
		docker.err = probeDocker(docker.image)
	})
	return docker.image, docker.err
}

// probeDocker checks that the engine answers and that image is present, pulling it once if not. A pull
// that fails (no registry, no network) makes containers unavailable rather than failing the test,
// because testcontainers itself would retry the pull until its context ran out.
func probeDocker(image string) (err error) {
	// testcontainers reads its configuration once, on first use: set our defaults before that.
	// Ryuk needs its own image from a registry; we stop our containers ourselves and label them.
	setDefaultEnv("TESTCONTAINERS_RYUK_DISABLED", "true")
	// Where this machine looks like a container, testcontainers would dial the default gateway instead
	// of the loopback address the ports are published on.
	setDefaultEnv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")

	defer func() {
		if r := recover(); r != nil { // the client panics on some broken Docker configurations
			err = notAvailable(fmt.Sprintf("Docker client: %v", r))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), dockerProbeTimeout)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return notAvailable(fmt.Sprintf("no Docker engine answers: %v", err))
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, image); err == nil {
		return nil
	} else if !errdefs.IsNotFound(err) {
		return notAvailable(fmt.Sprintf("Docker: inspect image %s: %v", image, err))
	}

	pctx, pcancel := context.WithTimeout(context.Background(), imagePullTimeout)
	defer pcancel()
	pull, err := cli.ImagePull(pctx, image, client.ImagePullOptions{})
	if err == nil {
		err = pull.Wait(pctx)
	}
	if err != nil {
		return notAvailable(fmt.Sprintf("image %s is not present locally and could not be pulled: %v", image, err))
	}
	return nil
}

// labelValue is the value of containerLabel: EnvRun if set, else "true".
func labelValue() string {
	if v := os.Getenv(EnvRun); v != "" {
		return v
	}
	return "true"
}

// setDefaultEnv sets an environment variable unless the user has set it.
func setDefaultEnv(key, value string) {
	if _, set := os.LookupEnv(key); !set {
		os.Setenv(key, value)
	}
}

// redisContainer is a Redis container whose port 6379 is published on a 127.0.0.1 port.
type redisContainer struct {
	ctr  *tcredis.RedisContainer
	addr string
}

// startContainer runs image with its Redis port published on 127.0.0.1:hostPort (0: any free port) and
// waits until it answers PING.
func startContainer(image string, hostPort int) (*redisContainer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), containerTimeout)
	defer cancel()
	redisPort := network.MustParsePort("6379/tcp")
	ctr, err := tcredis.Run(ctx, image,
		testcontainers.WithLogger(tclog.NewNoopLogger()), // shared containers outlive the test that started them
		testcontainers.WithLabels(map[string]string{containerLabel: labelValue()}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{redisPort: {{
				HostIP:   netip.AddrFrom4([4]byte{127, 0, 0, 1}),
				HostPort: strconv.Itoa(hostPort),
			}}}
		}),
	)
	c := &redisContainer{ctr: ctr}
	if err != nil {
		c.terminate()
		return nil, fmt.Errorf("run container %s: %w", image, err)
	}
	port, err := ctr.MappedPort(ctx, redisPort.String())
	if err != nil {
		c.terminate()
		return nil, fmt.Errorf("container %s: mapped port: %w", image, err)
	}
	c.addr = net.JoinHostPort("127.0.0.1", port.Port())
	if err := waitPing(c.addr, nil, time.Until(deadline(ctx))); err != nil {
		c.terminate()
		return nil, fmt.Errorf("container %s on %s: %w", image, c.addr, err)
	}
	return c, nil
}

// deadline returns ctx's deadline (every context here has one).
func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// stop stops the container, keeping it (and its port binding) for start.
func (c *redisContainer) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), containerTimeout)
	defer cancel()
	zero := time.Duration(0)
	return c.ctr.Stop(ctx, &zero)
}

// start starts a stopped container again and waits until it answers PING on the same address.
func (c *redisContainer) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), containerTimeout)
	defer cancel()
	if err := c.ctr.Start(ctx); err != nil {
		return err
	}
	return waitPing(c.addr, nil, time.Until(deadline(ctx)))
}

// terminate kills and removes the container; failures are reported on stderr, since cleanup has no test
// to fail.
func (c *redisContainer) terminate() {
	if c.ctr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), containerTimeout)
	defer cancel()
	if err := c.ctr.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
		fmt.Fprintf(os.Stderr, "redistest: remove container %s: %v\n", c.ctr.GetContainerID(), err)
	}
}

// pause freezes the container's processes (docker pause); unpause thaws them.
func (c *redisContainer) pause(ctx context.Context) error {
	return c.withEngine(ctx, func(cli *testcontainers.DockerClient, id string) error {
		_, err := cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
		return err
	})
}

func (c *redisContainer) unpause(ctx context.Context) error {
	return c.withEngine(ctx, func(cli *testcontainers.DockerClient, id string) error {
		_, err := cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
		return err
	})
}

func (c *redisContainer) withEngine(ctx context.Context, fn func(cli *testcontainers.DockerClient, id string) error) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	return fn(cli, c.ctr.GetContainerID())
}
