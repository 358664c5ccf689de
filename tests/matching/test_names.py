"""Person names: nicknames from the nicknames package, and known given names that are never typos."""

from sfbridge.matching.names import first_name_keys, is_known_name, nickname_link


def test_first_name_keys_share_a_key_for_nicknames():
    """Bob and Robert share a key, and so do two nicknames of one name; Jon and Joan do not."""
    table = first_name_keys(["bob", "robert", "liz", "beth", "jon", "joan"])
    keys = {
        name: set(table.filter(table["name"] == name)["key"])
        for name in ["bob", "robert", "liz", "beth", "jon", "joan"]
    }
    assert keys["bob"] & keys["robert"]
    assert keys["liz"] & keys["beth"]
    assert not keys["jon"] & keys["joan"]


def test_nickname_link_says_how_two_names_are_one():
    """The link is worded with the nickname first, or names the name both stand for."""
    assert nickname_link("robert", "bob") == "nickname bob = robert"
    assert nickname_link("peggy", "maggie") == "nicknames peggy and maggie both stand for margaret"
    assert nickname_link("amber", "amanda") is None


def test_is_known_name_tells_real_given_names_from_misspellings():
    """Listed given names are known; a misspelling is not, so only it may be read as a typo."""
    assert is_known_name("joan")
    assert not is_known_name("jyayden")


def test_common_nicknames_the_package_leaves_out_are_added():
    """Katie is Katherine (and Catherine), Kate is Catherine: the nicknames tables miss them, admins would not."""
    assert nickname_link("katie", "katherine") == "nickname katie = katherine"
    assert nickname_link("kate", "catherine") == "nickname kate = catherine"
    table = first_name_keys(["katie", "katherine", "kathy"])
    keys = {name: set(table.filter(table["name"] == name)["key"]) for name in ["katie", "katherine", "kathy"]}
    assert keys["katie"] & keys["katherine"]
    assert is_known_name("katie")
