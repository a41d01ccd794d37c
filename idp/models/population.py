"""The population registry: citizens and the records linked to them (DESIGN.md §1 population)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.models.base import Base


class Citizen(Base):
    __tablename__ = "citizen"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[str] = mapped_column(String(12), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    given_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    gender: Mapped[str] = mapped_column(String(6))  # "male" | "female"
    nationality: Mapped[str] = mapped_column(String(2), default="VN")  # ISO 3166-1 alpha-2
    place_of_origin: Mapped[str] = mapped_column(String(200))
    street_address: Mapped[str] = mapped_column(String(200))
    locality: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="VN")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime]

    health_insurance: Mapped[HealthInsurance | None] = relationship(
        back_populates="citizen", cascade="all, delete-orphan"
    )
    social_insurance: Mapped[SocialInsurance | None] = relationship(
        back_populates="citizen", cascade="all, delete-orphan"
    )
    driving_licenses: Mapped[list[DrivingLicense]] = relationship(
        back_populates="citizen", cascade="all, delete-orphan"
    )
    vehicles: Mapped[list[Vehicle]] = relationship(
        back_populates="citizen", cascade="all, delete-orphan"
    )
    education: Mapped[list[EducationCredential]] = relationship(
        back_populates="citizen", cascade="all, delete-orphan"
    )
    vaccinations: Mapped[list[Vaccination]] = relationship(
        back_populates="citizen", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.middle_name, self.given_name) if p)


class HealthInsurance(Base):
    __tablename__ = "health_insurance"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_pk: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), unique=True
    )
    number: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    registered_facility: Mapped[str] = mapped_column(String(200))
    citizen: Mapped[Citizen] = relationship(back_populates="health_insurance")


class SocialInsurance(Base):
    __tablename__ = "social_insurance"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_pk: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), unique=True
    )
    number: Mapped[str] = mapped_column(String(20))
    citizen: Mapped[Citizen] = relationship(back_populates="social_insurance")


class DrivingLicense(Base):
    __tablename__ = "driving_license"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_pk: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(20))
    license_class: Mapped[str] = mapped_column(String(4))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20))  # valid | suspended | revoked | expired
    citizen: Mapped[Citizen] = relationship(back_populates="driving_licenses")


class Vehicle(Base):
    __tablename__ = "vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_pk: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    plate: Mapped[str] = mapped_column(String(20))
    vehicle_type: Mapped[str] = mapped_column(String(30))
    brand: Mapped[str] = mapped_column(String(50))
    registered_on: Mapped[date]
    citizen: Mapped[Citizen] = relationship(back_populates="vehicles")


class EducationCredential(Base):
    __tablename__ = "education_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_pk: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    credential: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    citizen: Mapped[Citizen] = relationship(back_populates="education")


class Vaccination(Base):
    __tablename__ = "vaccination"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_pk: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    vaccine: Mapped[str] = mapped_column(String(100))
    dose: Mapped[int]
    given_on: Mapped[date]
    citizen: Mapped[Citizen] = relationship(back_populates="vaccinations")
