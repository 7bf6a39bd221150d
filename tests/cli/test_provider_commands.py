"""`officeconsole provider ...` and `officeconsole appointment-type ...`."""

from __future__ import annotations

from officeconsole.services.common.identifiers import npi_with_check_digit

NPI = npi_with_check_digit("198765432")


def test_types_and_a_provider_set_up_edited_retired_and_reinstated(cli, seeded_url):
    def run(*args: str):
        return cli("--db", seeded_url, *args, "--as", "manager")

    added = run("appointment-type", "add", "Follow-up", "--minutes", "20", "--code", "99213")
    assert added.exit_code == 0, added.text
    assert added.stdout.strip() == "Added appointment type Follow-up: 20 minutes, code 99213."
    assert run("appointment-type", "add", "Sick visit", "--minutes", "15", "--colour", "indian red").exit_code == 0
    assert run("appointment-type", "add", "New patient", "--minutes", "40", "--new-patient").exit_code == 0
    edited = run("appointment-type", "edit", "sick VISIT", "--minutes", "20", "--name", "Sick visit (same day)")
    assert edited.stdout.strip() == "Saved appointment type Sick visit (same day): 20 minutes.", edited.text

    made = run("provider", "add", "admin", "--npi", NPI, "--taxonomy", "363lf0000x", "--credentials", "fnp-c",
               "--specialty", "Family nurse practitioner", "--minutes", "30",
               "--types", "follow-up, Sick visit (same day)", "--bills-own-npi")
    assert made.exit_code == 0, made.text
    assert made.stdout.strip() == (f"Alex Admin, FNP-C is a provider: NPI {NPI}, 30-minute visits, sees "
                                   "Follow-up, Sick visit (same day) types.")
    listed = run("provider", "list", "--format", "csv").stdout.splitlines()
    assert listed[0] == "Username,Name,NPI,Taxonomy,Credentials,Specialty,Minutes,Colour,Types,Bills own NPI,Active"
    assert (f'admin,Alex Admin,{NPI},363LF0000X,FNP-C,Family nurse practitioner,30,steelblue,'
            '"Follow-up, Sick visit (same day)",yes,yes') in listed
    assert run("provider", "edit", "admin", "--types", "all", "--colour", "#2e8b57",
               "--bills-clinic-npi").exit_code == 0
    row = next(line for line in run("provider", "list", "--format", "csv").stdout.splitlines()
               if line.startswith("admin,"))
    assert row.endswith(",30,#2e8b57,all,no,yes")

    types = run("appointment-type", "list", "--format", "csv").stdout.splitlines()
    assert types == ["Name,Minutes,Colour,New patient,Code,Providers,Active",
                     "Follow-up,20,steelblue,no,99213,all,yes",
                     "New patient,40,steelblue,yes,,all,yes",
                     "Sick visit (same day),20,indianred,no,,all,yes"]

    assert run("appointment-type", "retire", "New patient").exit_code == 0
    assert "\nNew patient," not in run("appointment-type", "list", "--format", "csv").stdout
    assert "New patient,40,steelblue,yes,,all,retired" in run(
        "appointment-type", "list", "--all", "--format", "csv").stdout
    assert run("appointment-type", "reinstate", "new patient").stdout.strip() == (
        "Reinstated appointment type New patient.")

    retired = run("provider", "retire", "admin")
    assert retired.exit_code == 0 and retired.stdout.startswith("Retired provider Alex Admin, FNP-C")
    assert "admin," not in run("provider", "list", "--format", "csv").stdout
    assert ",retired" in run("provider", "list", "--all", "--format", "csv").stdout
    assert run("provider", "reinstate", "admin").stdout.strip() == "Reinstated provider Alex Admin, FNP-C."


def test_bad_input_is_one_error_line_and_nothing_saved(cli, seeded_url):
    def run(*args: str, who: str = "manager"):
        return cli("--db", seeded_url, *args, "--as", who)

    assert run("appointment-type", "add", "Follow-up", "--minutes", "20").exit_code == 0
    wrong_check = NPI[:-1] + str((int(NPI[-1]) + 1) % 10)
    for args, message in (
        (("provider", "add", "admin", "--npi", wrong_check), f"error: NPI {wrong_check} is not a valid NPI"),
        (("provider", "add", "admin", "--npi", "1234567893"), "error: NPI 1234567893 is Avery Lee's"),
        (("provider", "add", "admin", "--npi", NPI, "--taxonomy", "207Q0000X"), "error: Taxonomy 207Q0000X:"),
        (("provider", "add", "admin", "--npi", NPI, "--types", "Physio"),
         "error: No appointment type is called Physio (types: Follow-up)."),
        (("provider", "add", "drlee", "--npi", NPI), "error: Avery Lee is a provider already"),
        (("provider", "add", "nobody", "--npi", NPI), "error: No active staff member has the username 'nobody'"),
        (("provider", "edit", "desk", "--npi", NPI), "error: No provider has the username 'desk'"),
        (("appointment-type", "add", "Long one", "--minutes", "1000"), "error: Length: 5 to 480 minutes"),
        (("appointment-type", "add", "Nothing", "--minutes", "0"), "error: Length: 5 to 480 minutes (not 0)."),
        (("appointment-type", "add", "FOLLOW-UP", "--minutes", "20"),
         "error: An appointment type called 'Follow-up' exists already."),
        (("appointment-type", "edit", "Physio", "--minutes", "20"), "error: No appointment type is called 'Physio'"),
    ):
        result = run(*args)
        assert result.exit_code == 1, (args, result.text)
        assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1, (args, result.text)
        assert "Traceback" not in result.text
    denied = run("appointment-type", "add", "Sick visit", "--minutes", "15", who="desk")
    assert denied.exit_code == 1 and denied.stderr.startswith("error: Permission denied")
    denied = run("provider", "add", "admin", "--npi", NPI, who="biller")
    assert denied.exit_code == 1 and denied.stderr.startswith("error: Permission denied")
    assert run("provider", "list", "--format", "csv").stdout.splitlines()[1:] == [
        "drlee,Avery Lee,1234567893,,MD,Family medicine,20,steelblue,all,no,yes"]
    assert run("appointment-type", "list", "--all", "--format", "csv").stdout.splitlines()[1:] == [
        "Follow-up,20,steelblue,no,,all,yes"]
