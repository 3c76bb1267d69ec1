// The fault and load tests start real processes, measure their file descriptors and threads, and
// time keep-alives: running them side by side on a 2-core machine would make each one the other's
// fault. They run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
