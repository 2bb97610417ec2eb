package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/intercom-gateway/gateway/plugin/abi"
)

// maxErrorSpan bounds how much of an error span the host reads.
const maxErrorSpan = 1024

// instance is one instantiated module with the functions the host calls.
// It serves one call at a time; the pool hands it to one goroutine.
type instance struct {
	plugin *Plugin
	mod    api.Module
	mem    api.Memory
	alloc  api.Function
	step   api.Function
	// stack is reused by every CallWithStack: each export takes and
	// returns at most one value.
	stack []uint64

	// The fields below implement ProtectionInterrupt. They are used only
	// by the goroutine that holds the instance: the yield host function
	// runs on the goroutine of the call.
	//
	// callCtx is the context of every call on the instance: it carries the
	// instance to the yield function. caller and deadline belong to the
	// call in progress, and interrupted records that yield stopped it.
	callCtx     context.Context
	caller      context.Context
	deadline    time.Time
	interrupted bool
	// yields counts the calls of yield, for benchmarks.
	yields uint64

	stderr *guestLog
	stdout *guestLog
}

// instanceKey is the context key of the instance a call runs on.
type instanceKey struct{}

// newInstance instantiates the plugin's module and runs _initialize under
// the start-up deadline.
func newInstance(ctx context.Context, p *Plugin) (*instance, error) {
	in := &instance{
		plugin:  p,
		callCtx: context.Background(),
		stack:   make([]uint64, 1),
		stderr:  &guestLog{log: p.log, stream: "stderr", limiter: p.lines},
		stdout:  &guestLog{log: p.log, stream: "stdout", limiter: p.lines},
	}
	if p.rt.cfg.Protection == ProtectionInterrupt {
		in.callCtx = context.WithValue(context.Background(), instanceKey{}, in)
	}
	// _initialize is called below rather than as a start function, so that
	// it runs under the start-up deadline like any other call. A start
	// section, which Go reactors do not have, runs during instantiation,
	// which is guarded too.
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithStderr(in.stderr).
		WithStdout(in.stdout)

	var mod api.Module
	err := in.guard(ctx, p.cfg.StartupTimeout, func(ctx context.Context) error {
		var err error
		mod, err = p.rt.rt.InstantiateModule(ctx, p.compiled, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: instantiate the module: %w", ErrStartup, err)
	}

	in.mod = mod
	in.mem = mod.Memory()
	in.alloc = mod.ExportedFunction(abi.ExportAlloc)
	in.step = mod.ExportedFunction(abi.ExportStep)
	if in.mem == nil || in.alloc == nil || in.step == nil {
		in.close()
		return nil, fmt.Errorf("%w: the instance lacks memory, alloc or step", ErrMissingExport)
	}
	initialize := mod.ExportedFunction(abi.ExportInitialize)
	err = in.guard(ctx, p.cfg.StartupTimeout, func(ctx context.Context) error {
		return initialize.CallWithStack(ctx, in.stack[:1])
	})
	if err != nil {
		in.close()
		return nil, fmt.Errorf("%w: %s: %w", ErrStartup, abi.ExportInitialize, err)
	}
	return in, nil
}

// run calls step with input and appends the output to dst.
func (in *instance) run(ctx context.Context, dst, input []byte) ([]byte, error) {
	err := in.guard(ctx, in.plugin.cfg.CallTimeout, func(ctx context.Context) error {
		in.stack[0] = uint64(len(input))
		if err := in.alloc.CallWithStack(ctx, in.stack); err != nil {
			return err
		}
		ptr := uint32(in.stack[0])
		if ptr == 0 {
			return fmt.Errorf("%w: alloc returned no buffer for %d bytes", ErrOutput, len(input))
		}
		if !in.mem.Write(ptr, input) {
			return fmt.Errorf("%w: alloc returned address %#x, where %d bytes do not fit in linear memory", ErrOutput, ptr, len(input))
		}
		in.stack[0] = uint64(len(input))
		return in.step.CallWithStack(ctx, in.stack)
	})
	if err != nil {
		return dst, err
	}

	span := abi.Span(in.stack[0])
	if span.IsError() {
		msg, _ := in.mem.Read(span.Ptr(), min(span.Len(), maxErrorSpan))
		return dst, fmt.Errorf("%w: step reported %q", ErrOutput, msg)
	}
	if int64(span.Len()) > int64(in.plugin.cfg.MaxOutputSize) {
		return dst, fmt.Errorf("%w: step returned %d bytes, more than the limit of %d", ErrOutput, span.Len(), in.plugin.cfg.MaxOutputSize)
	}
	out, ok := in.mem.Read(span.Ptr(), span.Len())
	if !ok {
		return dst, fmt.Errorf("%w: step returned %d bytes at %#x, outside linear memory", ErrOutput, span.Len(), span.Ptr())
	}
	return append(dst, out...), nil
}

// guard runs call under the instance's deadline protection and turns
// wazero's errors into this package's.
func (in *instance) guard(ctx context.Context, timeout time.Duration, call func(context.Context) error) error {
	var err error
	switch in.plugin.rt.cfg.Protection {
	case ProtectionInterrupt:
		in.caller, in.deadline, in.interrupted = ctx, time.Now().Add(timeout), false
		err = call(in.callCtx)
		in.caller = nil
		if in.interrupted {
			return fmt.Errorf("%w: the call ran past %v or its context ended (%v)", ErrDeadline, timeout, context.Cause(ctx))
		}
	case ProtectionCloseOnContextDone:
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err = call(cctx)
		cancel()
		var exit *sys.ExitError
		if errors.As(err, &exit) && (exit.ExitCode() == sys.ExitCodeDeadlineExceeded || exit.ExitCode() == sys.ExitCodeContextCanceled) {
			return fmt.Errorf("%w: the call ran past %v or its context ended (%v)", ErrDeadline, timeout, context.Cause(ctx))
		}
	default:
		err = call(ctx)
	}
	if err == nil || errors.Is(err, ErrOutput) {
		return err
	}
	in.plugin.log.Debug("plugin call failed", "error", err.Error())
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("%w: the guest exited with code %d", ErrTrap, exit.ExitCode())
	}
	return fmt.Errorf("%w: %s", ErrTrap, firstLine(err))
}

// errInterrupted is the panic value yield stops a call with. wazero
// returns it, wrapped, as the call's error.
var errInterrupted = errors.New("plugin call interrupted by the host")

// yield is the host function the instrumented guest calls every
// interruptFuel units of fuel. It stops the call by panicking when the deadline
// has passed or the caller's context has ended. Reaching it also gives
// the Go scheduler a point to preempt the goroutine, which a collection
// that stops the world needs.
func yield(ctx context.Context, _ api.Module, _ []uint64) {
	in, ok := ctx.Value(instanceKey{}).(*instance)
	if !ok || in.caller == nil {
		return
	}
	in.yields++
	if in.caller.Err() != nil || time.Now().After(in.deadline) {
		in.interrupted = true
		panic(errInterrupted)
	}
}

// memorySize returns the size of linear memory in bytes.
func (in *instance) memorySize() uint32 { return in.mem.Size() }

// close releases the instance. It never runs during a call on it.
func (in *instance) close() {
	in.stderr.flush()
	in.stdout.flush()
	if in.mod != nil {
		_ = in.mod.Close(context.Background())
	}
}

// firstLine returns the first line of err's message: wazero appends a wasm
// stack trace that belongs in the log, not in an event's result.
func firstLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return msg[:i]
	}
	return msg
}
