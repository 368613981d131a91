/** The consumer as a named module: it needs only the library's API module. */
module io.softmaxcl.example {
    requires io.softmaxcl;
}
