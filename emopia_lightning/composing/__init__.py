"""One way to compose: a request (:mod:`.request`), the interface every composer implements
(:mod:`.composer`), how pieces end (:mod:`.endings`) and one writer of their files (:mod:`.pieces`)."""
