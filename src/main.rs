fn main() -> anyhow::Result<()> {
    roster::cli::main()
}
