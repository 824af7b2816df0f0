"""From a file to a :class:`~ofsted_nlp.reading.letter.Letter`: inputs found (:mod:`.inputs`), text
extracted (:mod:`.extraction`), cleaned (:mod:`.cleaning`), cut into sections (:mod:`.sections`) and
sentences (:mod:`.sentences`, :mod:`.tokenizing`), with metadata (:mod:`.metadata`) and grades
(:mod:`.grades`). Nothing here knows about models or tables."""
