from motcua.core.templatetags.core_tags import so


def test_numbers_are_grouped_by_dots():
    assert so(230783) == "230.783"
    assert so(1000000) == "1.000.000"
    assert so(999) == "999"
    assert so(None) == "" and so("") == ""
    assert so("không rõ") == "không rõ"
