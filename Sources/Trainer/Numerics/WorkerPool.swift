// The threads of one rank (`--threads`): a persistent pool that runs the parts of one job at a
// time, the calling thread included. Callers split work so that no value depends on where the
// splits fall, so results are the same bit for bit for any number of threads (docs/THREADS.md).
import Foundation

public final class WorkerPool: @unchecked Sendable {
    /// The pool of the current task or thread: one thread (the caller) unless a launcher bound
    /// another with `WorkerPool.$current.withValue`. Threads the pool starts see the default,
    /// so work nested inside a part runs in that part's thread.
    @TaskLocal public static var current = WorkerPool(threads: 1)

    /// Threads that run parts, the caller included.
    public let threadCount: Int
    /// Guards the job fields below; workers wait on it for a job, the caller for its end.
    private let lock = NSCondition()
    /// Held by the caller of `run` for the whole job: a second caller runs its job inline.
    private let caller = NSLock()
    private var generation = 0
    private var remaining = 0
    private var job: ((Int, Int) -> Void)?
    private var partCount = 0

    /// Starts `threads - 1` threads; they live as long as the process (a rank makes one pool).
    public init(threads: Int) {
        threadCount = max(1, threads)
        for worker in 1..<threadCount {
            let thread = Thread { self.serve(worker) }
            thread.name = "dalle-train worker \(worker)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(part, thread)` for every part in 0..<parts and returns when all are done.
    /// Thread t runs the parts t, t + threadCount, ... (`thread` < threadCount indexes
    /// per-thread scratch). With one thread, one part, or while another job runs (nested work
    /// or a second caller), every part runs here in order.
    public func run(parts: Int, _ body: (_ part: Int, _ thread: Int) -> Void) {
        guard parts > 1, threadCount > 1, caller.try() else {
            for part in 0..<parts { body(part, 0) }
            return
        }
        defer { caller.unlock() }
        withoutActuallyEscaping(body) { body in
            lock.lock()
            job = body
            partCount = parts
            remaining = threadCount - 1
            generation += 1
            lock.broadcast()
            lock.unlock()
            for part in stride(from: 0, to: parts, by: threadCount) { body(part, 0) }
            lock.lock()
            while remaining > 0 { lock.wait() }
            job = nil
            lock.unlock()
        }
    }

    /// Splits 0..<count into one contiguous range per thread and runs `body` on each: for
    /// element-wise work, whose results do not depend on the split.
    public func forEachRange(_ count: Int, minimum: Int = 16_384, _ body: (Range<Int>) -> Void) {
        let parts = min(threadCount, max(1, count / minimum))
        run(parts: parts) { part, _ in
            let lower = count * part / parts
            let upper = count * (part + 1) / parts
            body(lower..<upper)
        }
    }

    /// A process-wide pool of `threads` threads, made on the first request for that count: for
    /// kernels that split their own work when the current pool has one thread and OpenBLAS runs
    /// several per call (commands that leave the threads to OpenBLAS, such as `encode-images`).
    public static func shared(threads: Int) -> WorkerPool {
        sharedLock.lock()
        defer { sharedLock.unlock() }
        if let pool = sharedPools[threads] { return pool }
        let pool = WorkerPool(threads: threads)
        sharedPools[threads] = pool
        return pool
    }

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var sharedPools: [Int: WorkerPool] = [:]

    private func serve(_ worker: Int) {
        var seen = 0
        while true {
            lock.lock()
            while generation == seen { lock.wait() }
            seen = generation
            lock.unlock()
            runParts(worker)
            lock.lock()
            remaining -= 1
            if remaining == 0 { lock.broadcast() }
            lock.unlock()
        }
    }

    /// This worker's parts of the current job. Its reference to the job ends with the call, before
    /// the caller learns the job is done (the caller's closure must not outlive `run`).
    @inline(never)
    private func runParts(_ worker: Int) {
        lock.lock()
        let (body, parts) = (job!, partCount)
        lock.unlock()
        for part in stride(from: worker, to: parts, by: threadCount) { body(part, worker) }
    }
}
