fn main() {
  npmx::main()
}
