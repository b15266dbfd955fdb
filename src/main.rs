/// Many worker threads allocating and freeing page-sized buffers: mimalloc's
/// per-thread heaps spend far less time in the allocator than glibc's arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    roster::cli::main()
}
